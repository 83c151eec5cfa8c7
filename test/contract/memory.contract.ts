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
      const counts = await store.inspector.rowCounts();
      expect([counts.memory_observations, counts.memory_manual_sessions]).toEqual([0, 0]);
    });
  });
}
