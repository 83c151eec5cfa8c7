import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

export function mirrorContract({ fresh }: ContractContext): void {
  describe('MirrorRepository', () => {
    it('upsert inserts with defaults, then replaces every field keeping createdAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const start = new Date('2026-03-01T10:00:00.000Z');
      const first = await r.mirrors.upsert({ sourceIdentity: 'claude:/a.jsonl', agent: 'claude', title: 'one', timestampStart: start });
      expect(first).toMatchObject({
        sourceIdentity: 'claude:/a.jsonl',
        agent: 'claude',
        sessionId: null,
        computer: null,
        project: null,
        title: 'one',
        timestampStart: start,
        timestampEnd: null,
        conversationText: '',
        messageCount: 0,
        metadata: {},
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      clock.advance(1000);
      const second = await r.mirrors.upsert({
        sourceIdentity: 'claude:/a.jsonl',
        agent: 'claude',
        project: 'tc',
        conversationText: 'hello',
        messageCount: 2,
        metadata: { lines: 10 },
      });
      expect(second).toMatchObject({ id: first.id, title: null, project: 'tc', messageCount: 2, metadata: { lines: 10 }, createdAt: first.createdAt });
      expect(second.updatedAt).toEqual(clock.now());
      expect(await r.mirrors.get('claude:/a.jsonl')).toEqual(second);
      expect(await r.mirrors.get('nope')).toBeNull();
    });

    it('concurrent upserts of one source leave one row', async () => {
      const store = await fresh();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.repositories.mirrors.upsert({ sourceIdentity: 's', agent: 'codex', messageCount: i })),
      );
      expect((await store.inspector.rowCounts()).mirrors).toBe(1);
    });

    it('list filters by agent and project, ordered by timestampStart descending with nulls last', async () => {
      const { repositories: r } = await fresh();
      const at = (h: number) => new Date(Date.UTC(2026, 2, 1, h));
      await r.mirrors.upsert({ sourceIdentity: 'a', agent: 'claude', project: 'p', timestampStart: at(1) });
      await r.mirrors.upsert({ sourceIdentity: 'b', agent: 'claude', project: 'q', timestampStart: at(3) });
      await r.mirrors.upsert({ sourceIdentity: 'c', agent: 'gemini', project: 'p', timestampStart: at(2) });
      await r.mirrors.upsert({ sourceIdentity: 'd', agent: 'claude', project: 'p' });
      expect((await r.mirrors.list()).map((m) => m.sourceIdentity)).toEqual(['b', 'c', 'a', 'd']);
      expect((await r.mirrors.list({ agent: 'claude' })).map((m) => m.sourceIdentity)).toEqual(['b', 'a', 'd']);
      expect((await r.mirrors.list({ agent: 'claude', project: 'p', limit: 1 })).map((m) => m.sourceIdentity)).toEqual(['a']);
    });

    it('tombstone removes the mirror and records the tombstone; a repeat keeps createdAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', title: 'findme' });
      const t = await r.mirrors.tombstone({ sourceIdentity: 's', agent: 'claude', transcriptPath: '/t.jsonl', fileSize: 10, fileMtimeNs: '1700000000123456789' });
      expect(t).toEqual({ sourceIdentity: 's', agent: 'claude', transcriptPath: '/t.jsonl', fileSize: 10, fileMtimeNs: '1700000000123456789', createdAt: clock.now() });
      expect(await r.mirrors.get('s')).toBeNull();
      expect(await r.mirrors.search('findme')).toEqual([]);
      expect(await r.mirrors.isTombstoned('s')).toBe(true);
      expect(await r.mirrors.isTombstoned('other')).toBe(false);
      clock.advance(1000);
      const again = await r.mirrors.tombstone({ sourceIdentity: 's', agent: 'claude', fileSize: 20 });
      expect(again).toMatchObject({ fileSize: 20, transcriptPath: null, createdAt: t.createdAt });
      expect(await r.mirrors.tombstone({ sourceIdentity: 'never-mirrored', agent: 'codex' })).toMatchObject({ sourceIdentity: 'never-mirrored' });
    });

    it('keeps a tombstone mtime exactly, in nanoseconds: a digit string or a bigint in, decimal text out', async () => {
      const { repositories: r } = await fresh();
      const ns = 1_741_976_590_123_456_789n; // beyond 2^53: a number would lose it
      expect((await r.mirrors.tombstone({ sourceIdentity: 'big', agent: 'claude', fileMtimeNs: ns })).fileMtimeNs).toBe('1741976590123456789');
      expect((await r.mirrors.tombstone({ sourceIdentity: 'zeros', agent: 'claude', fileMtimeNs: '000042' })).fileMtimeNs).toBe('42');
      await expect(r.mirrors.tombstone({ sourceIdentity: 'x', agent: 'claude', fileMtimeNs: '1.5' })).rejects.toMatchObject({ field: 'fileMtimeNs' });
      await expect(r.mirrors.tombstone({ sourceIdentity: 'x', agent: 'claude', fileMtimeNs: -1n })).rejects.toMatchObject({ field: 'fileMtimeNs' });
      await expect(r.mirrors.tombstone({ sourceIdentity: 'x', agent: 'claude', fileMtimeNs: 1 as unknown as string })).rejects.toMatchObject({ field: 'fileMtimeNs' });
      expect(await r.mirrors.isTombstoned('x')).toBe(false);
    });

    it('mirrors without a source identity (no transcript) are kept, listed and searched; several may exist', async () => {
      const store = await fresh();
      const at = new Date('2026-03-01T10:00:00.000Z');
      const columns = ['session_id', 'source_identity', 'agent', 'title', 'conversation_text', 'created_at', 'updated_at'];
      await store.bulk.load('mirrors', columns, [
        [
          ['s1', null, 'claude', 'orphaned one', 'findme words', at, at],
          ['s2', null, 'claude', 'orphaned two', 'findme words', at, at],
        ],
      ]);
      const r = store.repositories;
      await r.mirrors.upsert({ sourceIdentity: 'claude:/x.jsonl', agent: 'claude', conversationText: 'findme' });
      const listed = await r.mirrors.list();
      expect(listed.map((m) => m.sourceIdentity).sort()).toEqual(['claude:/x.jsonl', null, null]);
      expect((await r.mirrors.search('findme words')).map((m) => m.sessionId).sort()).toEqual(['s1', 's2']);
      // upsert needs an identity: nothing else says which mirror it replaces.
      await expect(r.mirrors.upsert({ sourceIdentity: null as unknown as string, agent: 'claude' })).rejects.toMatchObject({ field: 'sourceIdentity' });
      expect((await store.inspector.rowCounts()).mirrors).toBe(3);
    });

    it('bad input is refused with a ValidationError naming the field, and nothing is written', async () => {
      const store = await fresh();
      const r = store.repositories;
      await expect(r.mirrors.upsert({ sourceIdentity: '', agent: 'claude' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sourceIdentity' });
      await expect(r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', messageCount: -1 })).rejects.toMatchObject({ field: 'messageCount' });
      await expect(r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', timestampStart: 'soon' })).rejects.toMatchObject({ field: 'timestampStart' });
      await expect(r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', metadata: [] as unknown as Record<string, unknown> })).rejects.toMatchObject({
        field: 'metadata',
      });
      await expect(r.mirrors.tombstone({ sourceIdentity: 's', agent: '' })).rejects.toMatchObject({ field: 'agent' });
      await expect(r.mirrors.search(42 as unknown as string)).rejects.toMatchObject({ field: 'query' });
      const counts = await store.inspector.rowCounts();
      expect([counts.mirrors, counts.mirror_tombstones]).toEqual([0, 0]);
    });
  });
}
