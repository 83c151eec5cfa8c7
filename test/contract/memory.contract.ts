import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

const base = { memorySessionId: 'ms1', project: 'tc', type: 'decision' as const, title: 'Use WAL' };

export function memoryContract({ fresh }: ContractContext): void {
  describe('MemoryRepository', () => {
    it('save fills the defaults, stamps createdAt and round-trips JSON arrays', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const o = await r.memory.save({ ...base, facts: ['a', 'b "quoted"'], concepts: ['sqlite'], promptNumber: 3, identityKey: 'k' });
      expect(o).toMatchObject({
        ...base,
        subtitle: null,
        facts: ['a', 'b "quoted"'],
        narrative: null,
        concepts: ['sqlite'],
        filesRead: null,
        filesModified: null,
        promptNumber: 3,
        discoveryTokens: 0,
        identityKey: 'k',
        createdAt: clock.now(),
      });
      expect(typeof o.id).toBe('number');
      expect(await r.memory.getByIds([o.id])).toEqual([o]);
    });

    it('getByIds keeps the order of ids, skips unknown ones and repeats none', async () => {
      const { repositories: r } = await fresh();
      const a = await r.memory.save(base);
      const b = await r.memory.save(base);
      expect((await r.memory.getByIds([b.id, 999_999, a.id, b.id])).map((o) => o.id)).toEqual([b.id, a.id]);
      expect(await r.memory.getByIds([])).toEqual([]);
    });

    it('getByIds with a project keeps only that project, in the order of ids', async () => {
      const { repositories: r } = await fresh();
      const a = await r.memory.save(base);
      const other = await r.memory.save({ ...base, project: 'other' });
      const b = await r.memory.save(base);
      expect((await r.memory.getByIds([b.id, other.id, a.id], 'tc')).map((o) => o.id)).toEqual([b.id, a.id]);
      expect((await r.memory.getByIds([b.id, other.id], 'other')).map((o) => o.id)).toEqual([other.id]);
      expect(await r.memory.getByIds([a.id], 'nobody')).toEqual([]);
    });

    it('batchFetch returns the ids newest first, of one project when given', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const a = await r.memory.save(base);
      clock.advance(1000);
      const other = await r.memory.save({ ...base, project: 'other' });
      const b = await r.memory.save(base);
      clock.advance(1000);
      const c = await r.memory.save(base);
      expect((await r.memory.batchFetch([a.id, c.id, other.id, b.id, a.id, 424242])).map((o) => o.id)).toEqual([c.id, b.id, other.id, a.id]);
      expect((await r.memory.batchFetch([a.id, c.id, other.id], { project: 'tc' })).map((o) => o.id)).toEqual([c.id, a.id]);
      expect(await r.memory.batchFetch([])).toEqual([]);
    });

    it('timeline returns the observations around the anchor of its project, in time order, each once', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const ids: number[] = [];
      // Three per second: neighbours that share the anchor's createdAt are ordered by id.
      for (let i = 0; i < 12; i++) {
        if (i % 3 === 0) clock.advance(1000);
        ids.push((await r.memory.save({ ...base, title: `t${i}` })).id);
        await r.memory.save({ ...base, project: 'other', title: `o${i}` });
      }
      const anchor = ids[5]!;
      expect((await r.memory.timeline(anchor)).map((o) => o.id)).toEqual(ids.slice(2, 9));
      expect((await r.memory.timeline(anchor, 1, 4)).map((o) => o.id)).toEqual(ids.slice(4, 10));
      expect((await r.memory.timeline(anchor, 0, 0)).map((o) => o.id)).toEqual([anchor]);
      expect((await r.memory.timeline(ids[0]!, 5, 1)).map((o) => o.id)).toEqual(ids.slice(0, 2));
      expect((await r.memory.timeline(ids[11]!, 2, 9)).map((o) => o.id)).toEqual(ids.slice(9, 12));
      expect((await r.memory.timeline(anchor, 100, 100)).map((o) => o.id)).toEqual(ids);
      expect(await r.memory.timeline(999_999)).toEqual([]);
      const [full] = await r.memory.timeline(anchor, 0, 0);
      expect(full).toEqual((await r.memory.getByIds([anchor]))[0]);
    });

    it('recent with identityKey keeps that identity and the unscoped observations', async () => {
      const { repositories: r } = await fresh();
      const none = await r.memory.save(base);
      const alpha = await r.memory.save({ ...base, identityKey: 'alpha' });
      await r.memory.save({ ...base, identityKey: 'beta' });
      const gotcha = await r.memory.save({ ...base, type: 'gotcha', identityKey: 'alpha' });
      expect((await r.memory.recent('tc', { identityKey: 'alpha' })).map((o) => o.id)).toEqual([gotcha.id, alpha.id, none.id]);
      expect((await r.memory.recent('tc', { identityKey: 'alpha', type: 'decision' })).map((o) => o.id)).toEqual([alpha.id, none.id]);
      expect((await r.memory.recent('tc', { identityKey: 'nobody' })).map((o) => o.id)).toEqual([none.id]);
    });

    it('search with identityKey keeps that identity and the unscoped observations, not other identities', async () => {
      const { repositories: r } = await fresh();
      const none = await r.memory.save({ ...base, title: 'walrus' });
      const alpha = await r.memory.save({ ...base, title: 'walrus', identityKey: 'alpha' });
      await r.memory.save({ ...base, title: 'walrus', identityKey: 'beta' });
      expect((await r.memory.search('walrus', { identityKey: 'alpha' })).map((o) => o.id)).toEqual([alpha.id, none.id]);
      expect((await r.memory.search('walrus')).length).toBe(3);
    });

    it('delete reports whether the observation existed', async () => {
      const { repositories: r } = await fresh();
      const o = await r.memory.save(base);
      expect(await r.memory.delete(o.id)).toBe(true);
      expect(await r.memory.delete(o.id)).toBe(false);
      expect(await r.memory.getByIds([o.id])).toEqual([]);
    });

    it('recent returns a project, newest first, optionally one type, within the limit', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const first = await r.memory.save(base);
      clock.advance(1000);
      const second = await r.memory.save({ ...base, type: 'gotcha' });
      const third = await r.memory.save(base);
      await r.memory.save({ ...base, project: 'other' });
      expect((await r.memory.recent('tc')).map((o) => o.id)).toEqual([third.id, second.id, first.id]);
      expect((await r.memory.recent('tc', { type: 'decision' })).map((o) => o.id)).toEqual([third.id, first.id]);
      expect((await r.memory.recent('tc', { limit: 1 })).map((o) => o.id)).toEqual([third.id]);
    });

    it('saveSummary and recentSummaries keep summaries per project, newest first', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const a = await r.memory.saveSummary({ memorySessionId: 'ms', project: 'tc', request: 'fix', nextSteps: 'ship' });
      clock.advance(1);
      const b = await r.memory.saveSummary({ memorySessionId: 'ms', project: 'tc', learned: 'x' });
      await r.memory.saveSummary({ memorySessionId: 'ms', project: 'other' });
      expect(a).toMatchObject({ request: 'fix', investigated: null, nextSteps: 'ship', createdAt: new Date(clock.now().getTime() - 1) });
      expect((await r.memory.recentSummaries('tc')).map((s) => s.id)).toEqual([b.id, a.id]);
      expect(await r.memory.recentSummaries('tc', 1)).toEqual([b]);
    });

    it('manualSessionFor creates one session per project, also under concurrency', async () => {
      const store = await fresh();
      const r = store.repositories;
      const all = await Promise.all(Array.from({ length: 10 }, () => r.memory.manualSessionFor('tc')));
      expect(new Set(all.map((s) => s.memorySessionId)).size).toBe(1);
      expect(await r.memory.manualSessionFor('tc')).toEqual(all[0]);
      expect((await r.memory.manualSessionFor('other')).memorySessionId).not.toBe(all[0]!.memorySessionId);
      expect((await store.inspector.rowCounts()).memory_manual_sessions).toBe(2);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const store = await fresh();
      const r = store.repositories;
      await expect(r.memory.save({ ...base, type: 'rumour' as 'decision' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'type' });
      await expect(r.memory.save({ ...base, facts: ['ok', 3 as unknown as string] })).rejects.toMatchObject({ field: 'facts.1' });
      await expect(r.memory.save({ ...base, project: '' })).rejects.toMatchObject({ field: 'project' });
      await expect(r.memory.save({ ...base, discoveryTokens: -1 })).rejects.toMatchObject({ field: 'discoveryTokens' });
      await expect(r.memory.search('x', { limit: 0 })).rejects.toMatchObject({ field: 'options.limit' });
      await expect(r.memory.getByIds([1, 0])).rejects.toMatchObject({ field: 'ids.1' });
      await expect(r.memory.manualSessionFor('')).rejects.toMatchObject({ field: 'project' });
      await expect(r.memory.getByIds([1], '')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'project' });
      await expect(r.memory.batchFetch([1.5])).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'ids.0' });
      await expect(r.memory.batchFetch([1], { project: 'tc', type: 'x' } as never)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options' });
      await expect(r.memory.timeline(0)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'anchorId' });
      await expect(r.memory.timeline(1, -1)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'before' });
      await expect(r.memory.timeline(1, 3, 2.5)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'after' });
      await expect(r.memory.recent('tc', { identityKey: 5 as unknown as string })).rejects.toMatchObject({ field: 'options.identityKey' });
      const counts = await store.inspector.rowCounts();
      expect([counts.memory_observations, counts.memory_manual_sessions]).toEqual([0, 0]);
    });
  });
}
