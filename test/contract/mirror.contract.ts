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

    it('getTombstone returns the recorded file facts; deleteTombstone removes only that tombstone', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.mirrors.upsert({ sourceIdentity: 'keep', agent: 'claude' });
      const t = await r.mirrors.tombstone({ sourceIdentity: 's', agent: 'claude', transcriptPath: '/t.jsonl', fileSize: 10 });
      const other = await r.mirrors.tombstone({ sourceIdentity: 'o', agent: 'codex', fileSize: 3 });
      expect(await r.mirrors.getTombstone('s')).toEqual(t);
      expect(await r.mirrors.getTombstone('s')).toMatchObject({ agent: 'claude', transcriptPath: '/t.jsonl', fileSize: 10, createdAt: clock.now() });
      expect(await r.mirrors.getTombstone('nope')).toBeNull();
      expect(await r.mirrors.deleteTombstone('s')).toBe(true);
      expect(await r.mirrors.deleteTombstone('s')).toBe(false);
      expect(await r.mirrors.getTombstone('s')).toBeNull();
      expect(await r.mirrors.isTombstoned('s')).toBe(false);
      expect(await r.mirrors.getTombstone('o')).toEqual(other);
      expect(await r.mirrors.get('keep')).not.toBeNull();
    });

    it('delete removes one mirror without a tombstone and reports whether it existed', async () => {
      const { repositories: r } = await fresh();
      await r.mirrors.upsert({ sourceIdentity: 'a', agent: 'claude', title: 'gone', sessionId: 'sess' });
      await r.mirrors.upsert({ sourceIdentity: 'b', agent: 'claude', sessionId: 'sess' });
      expect(await r.mirrors.delete('a')).toBe(true);
      expect(await r.mirrors.delete('a')).toBe(false);
      expect(await r.mirrors.get('a')).toBeNull();
      expect(await r.mirrors.search('gone')).toEqual([]);
      expect(await r.mirrors.isTombstoned('a')).toBe(false);
      expect(await r.mirrors.get('b')).not.toBeNull();
    });

    it('getBySessionId prefers an exact id, then the shortest id with the prefix, then the latest update; literal and case-sensitive', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const long = await r.mirrors.upsert({ sourceIdentity: '1', agent: 'claude', sessionId: 'abc-123-long', computer: 'mac' });
      clock.advance(1);
      const exact = await r.mirrors.upsert({ sourceIdentity: '2', agent: 'claude', sessionId: 'abc-123', computer: 'mac' });
      const olderTwin = await r.mirrors.upsert({ sourceIdentity: '3', agent: 'codex', sessionId: 'abc-999', computer: 'box' });
      clock.advance(1);
      const newerTwin = await r.mirrors.upsert({ sourceIdentity: '4', agent: 'codex', sessionId: 'abc-998', computer: 'mac' });
      await r.mirrors.upsert({ sourceIdentity: '5', agent: 'codex', sessionId: 'a_c%x', computer: 'mac' });
      expect((await r.mirrors.getBySessionId('abc-123'))?.id).toBe(exact.id);
      expect((await r.mirrors.getBySessionId('abc-123-'))?.id).toBe(long.id);
      expect((await r.mirrors.getBySessionId('abc-9'))?.id).toBe(newerTwin.id);
      expect((await r.mirrors.getBySessionId('abc-9', { computer: 'box' }))?.id).toBe(olderTwin.id);
      expect((await r.mirrors.getBySessionId('abc-123', { computer: 'box' }))).toBeNull();
      expect(await r.mirrors.getBySessionId('ABC')).toBeNull();
      expect(await r.mirrors.getBySessionId('a_c-')).toBeNull();
      expect(await r.mirrors.getBySessionId('a%')).toBeNull();
      expect((await r.mirrors.getBySessionId('a_c%'))?.sessionId).toBe('a_c%x');
      expect(await r.mirrors.getBySessionId('zzz')).toBeNull();
      expect(await r.mirrors.getBySessionId('abc-123')).toEqual(exact);
    });

    it('stateByTranscript maps each transcript path to its newest mirror; other metadata is ignored', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const a = await r.mirrors.upsert({ sourceIdentity: 'a', agent: 'claude', metadata: { transcript_path: '/p/a.jsonl', agent: 'claude' } });
      clock.advance(1000);
      const b = await r.mirrors.upsert({ sourceIdentity: 'b', agent: 'claude', metadata: { transcript_path: '/p/b.jsonl' } });
      const dupOld = await r.mirrors.upsert({ sourceIdentity: 'dup-old', agent: 'codex', metadata: { transcript_path: '/p/dup.jsonl' } });
      clock.advance(1000);
      const dupNew = await r.mirrors.upsert({ sourceIdentity: 'dup-new', agent: 'codex', metadata: { transcript_path: '/p/dup.jsonl' } });
      for (const [i, metadata] of [{}, { transcript_path: '' }, { transcript_path: 7 }, { transcript_path: null }, { transcript_path: ['/x'] }, { other: '/p/a.jsonl' }].entries()) {
        await r.mirrors.upsert({ sourceIdentity: `ignored-${i}`, agent: 'claude', metadata });
      }
      expect(dupOld.updatedAt.getTime()).toBeLessThan(dupNew.updatedAt.getTime());
      const state = await r.mirrors.stateByTranscript();
      expect(new Map([...state].sort())).toEqual(
        new Map([
          ['/p/a.jsonl', { sourceIdentity: 'a', updatedAt: a.updatedAt }],
          ['/p/b.jsonl', { sourceIdentity: 'b', updatedAt: b.updatedAt }],
          ['/p/dup.jsonl', { sourceIdentity: 'dup-new', updatedAt: dupNew.updatedAt }],
        ]),
      );
    });

    it('sessionContext finds the session by id first, else the newest by transcript path; closed sessions count', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const old = await r.sessions.create({ computerName: 'mac', nativeLogFile: '/t/x.jsonl', activeAgent: 'claude', projectPath: '/repo' });
      clock.advance(1000);
      const newer = await r.sessions.create({ computerName: 'box', nativeLogFile: '/t/x.jsonl' });
      await r.sessions.close(newer.id);
      expect(await r.mirrors.sessionContext({ sessionId: old.id })).toEqual({
        sessionId: old.id,
        computer: 'mac',
        agent: 'claude',
        project: '/repo',
        transcriptPath: '/t/x.jsonl',
      });
      expect(await r.mirrors.sessionContext({ transcriptPath: '/t/x.jsonl' })).toEqual({
        sessionId: newer.id,
        computer: 'box',
        agent: null,
        project: null,
        transcriptPath: '/t/x.jsonl',
      });
      expect((await r.mirrors.sessionContext({ sessionId: old.id, transcriptPath: '/t/x.jsonl' }))?.sessionId).toBe(old.id);
      expect((await r.mirrors.sessionContext({ sessionId: 'unknown', transcriptPath: '/t/x.jsonl' }))?.sessionId).toBe(newer.id);
      expect(await r.mirrors.sessionContext({ sessionId: 'unknown', transcriptPath: '/nowhere' })).toBeNull();
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
      await expect(r.mirrors.getBySessionId('')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sessionIdOrPrefix' });
      await expect(r.mirrors.getBySessionId('x', { computer: '' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options.computer' });
      await expect(r.mirrors.getTombstone('')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sourceIdentity' });
      await expect(r.mirrors.deleteTombstone('')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sourceIdentity' });
      await expect(r.mirrors.delete(undefined as unknown as string)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sourceIdentity' });
      await expect(r.mirrors.sessionContext({})).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'query' });
      await expect(r.mirrors.sessionContext({ transcriptPath: '' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'query.transcriptPath' });
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
