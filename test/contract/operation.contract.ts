import { describe, expect, it } from 'vitest';
import { SECOND } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

const request = { kind: 'next-work', callerSessionId: 'caller-1', cwd: '/repo', slug: 'fix-build', clientRequestId: 'req-1' };

export function operationContract({ fresh, another }: ContractContext): void {
  describe('OperationRepository', () => {
    it('create inserts a queued operation with a new uuid and stamps createdAt = updatedAt = now', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const op = await r.operations.create({ ...request, payload: { args: ['--fast'] } });
      expect(op).toEqual({
        operationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        ...request,
        payload: { args: ['--fast'] },
        state: 'queued',
        progressPhase: null,
        progressDecision: null,
        progressReason: null,
        resultText: null,
        errorText: null,
        createdAt: clock.now(),
        updatedAt: clock.now(),
        startedAt: null,
        completedAt: null,
        heartbeatAt: null,
        attemptCount: 0,
      });
      expect(await r.operations.get(op.operationId)).toEqual(op);
      expect(await r.operations.getByRequest('next-work', 'caller-1', 'req-1')).toEqual(op);
      expect(await r.operations.get('missing')).toBeNull();
      expect(await r.operations.getByRequest('next-work', 'caller-1', 'other')).toBeNull();
    });

    it('stats: queued are ready, running in flight, failed and stale counted, age of the oldest queued one', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      expect(await r.operations.stats()).toEqual({ ready: 0, scheduled: 0, inFlight: 0, failed: 0, dead: 0, oldestReadyAgeMs: null });
      const ops = [];
      for (let i = 0; i < 5; i++) {
        ops.push(await r.operations.create({ ...request, clientRequestId: `req-${i}` }));
        clock.advance(100);
      }
      await r.operations.claim(ops[0]!.operationId);
      await r.operations.claim(ops[1]!.operationId);
      await r.operations.fail(ops[1]!.operationId, 'boom');
      await r.operations.claim(ops[2]!.operationId);
      await r.operations.expireStale(new Date(clock.now().getTime() + 1));
      await r.operations.claim(ops[3]!.operationId);
      expect(await r.operations.stats()).toEqual({ ready: 1, scheduled: 0, inFlight: 1, failed: 1, dead: 2, oldestReadyAgeMs: 100 });
    });

    it('purge deletes finished operations completed longer ago than the age, never queued or running ones', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const done = await r.operations.create({ ...request, clientRequestId: 'a' });
      await r.operations.claim(done.operationId);
      await r.operations.complete(done.operationId, 'ok');
      const queued = await r.operations.create({ ...request, clientRequestId: 'b' });
      clock.advance(10 * SECOND);
      const recent = await r.operations.create({ ...request, clientRequestId: 'c' });
      await r.operations.cancel(recent.operationId);
      expect(await r.operations.purge(10 * SECOND)).toBe(0);
      clock.advance(1);
      expect(await r.operations.purge(10 * SECOND)).toBe(1);
      expect(await r.operations.get(done.operationId)).toBeNull();
      expect(await r.operations.get(queued.operationId)).not.toBeNull();
      expect(await r.operations.get(recent.operationId)).not.toBeNull();
      await expect(r.operations.purge(-1)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'olderThanMs' });
    });

    it('create is idempotent on (kind, callerSessionId, clientRequestId) and returns the existing row', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const first = await r.operations.create(request);
      clock.advance(1000);
      expect(await r.operations.create({ ...request, cwd: '/elsewhere' })).toEqual(first);
      expect((await r.operations.create({ ...request, clientRequestId: 'req-2' })).operationId).not.toBe(first.operationId);
      const a = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      const b = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      expect(a.operationId).not.toBe(b.operationId);
      await expect(r.operations.create({ kind: 'k', callerSessionId: 'c', operationId: a.operationId })).rejects.toMatchObject({
        code: 'TC_CONFLICT',
      });
    });

    it('concurrent creates of one request key from two stores make one operation', async () => {
      const store = await fresh();
      const other = await another();
      const ops = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).repositories.operations.create(request)));
      expect(new Set(ops.map((o) => o.operationId)).size).toBe(1);
    });

    it('findMatchingNonterminal returns the newest queued or running match; null cwd and slug match null', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const older = await r.operations.create({ kind: 'k', callerSessionId: 'c', cwd: '/r', slug: 's' });
      clock.advance(1);
      const newer = await r.operations.create({ kind: 'k', callerSessionId: 'c', cwd: '/r', slug: 's' });
      const noSlug = await r.operations.create({ kind: 'k', callerSessionId: 'c', cwd: '/r' });
      expect((await r.operations.findMatchingNonterminal('k', 'c', '/r', 's'))!.operationId).toBe(newer.operationId);
      await r.operations.cancel(newer.operationId);
      expect((await r.operations.findMatchingNonterminal('k', 'c', '/r', 's'))!.operationId).toBe(older.operationId);
      expect((await r.operations.findMatchingNonterminal('k', 'c', '/r', null))!.operationId).toBe(noSlug.operationId);
      expect(await r.operations.findMatchingNonterminal('k', 'c', null, null)).toBeNull();
      expect(await r.operations.findMatchingNonterminal('k', 'other', '/r', 's')).toBeNull();
    });

    it('claim moves queued to running once: attemptCount + 1, startedAt = heartbeatAt = now; a second claim is a conflict', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const op = await r.operations.create(request);
      clock.advance(SECOND);
      expect(await r.operations.claim(op.operationId)).toMatchObject({
        state: 'running',
        attemptCount: 1,
        startedAt: clock.now(),
        heartbeatAt: clock.now(),
        updatedAt: clock.now(),
      });
      await expect(r.operations.claim(op.operationId)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.operations.claim('missing')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('of concurrent claims of one operation exactly one succeeds', async () => {
      const store = await fresh();
      const other = await another();
      const op = await store.repositories.operations.create(request);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).repositories.operations.claim(op.operationId)),
      );
      expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      for (const x of results) if (x.status === 'rejected') expect(x.reason).toMatchObject({ code: 'TC_CONFLICT' });
      expect((await store.repositories.operations.get(op.operationId))!.attemptCount).toBe(1);
    });

    it('touch, updateProgress and complete follow a running operation to completed', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const { operationId } = await r.operations.create(request);
      await expect(r.operations.touch(operationId)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await r.operations.claim(operationId);
      clock.advance(SECOND);
      await r.operations.touch(operationId);
      expect(await r.operations.get(operationId)).toMatchObject({ heartbeatAt: clock.now(), updatedAt: clock.now() });
      await r.operations.updateProgress(operationId, { phase: 'build', decision: 'retry' });
      const progressed = await r.operations.updateProgress(operationId, { reason: 'flaky test' });
      expect(progressed).toMatchObject({ progressPhase: 'build', progressDecision: 'retry', progressReason: 'flaky test' });
      clock.advance(SECOND);
      expect(await r.operations.complete(operationId, 'done')).toMatchObject({ state: 'completed', resultText: 'done', completedAt: clock.now() });
      await expect(r.operations.complete(operationId, 'again')).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.operations.updateProgress(operationId, { phase: 'x' })).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.operations.touch('missing')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('fail and cancel end queued or running operations; complete needs a running one', async () => {
      const { repositories: r } = await fresh();
      const a = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      await expect(r.operations.complete(a.operationId, null)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect(await r.operations.fail(a.operationId, 'no worktree')).toMatchObject({ state: 'failed', errorText: 'no worktree' });
      const b = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      await r.operations.claim(b.operationId);
      expect(await r.operations.cancel(b.operationId)).toMatchObject({ state: 'cancelled' });
      await expect(r.operations.cancel(b.operationId)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.operations.fail(b.operationId, 'x')).rejects.toMatchObject({ code: 'TC_CONFLICT' });
    });

    it('markNonterminalStale marks every queued and running operation stale and returns the count', async () => {
      const { repositories: r } = await fresh();
      const queued = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      const running = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      const done = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      await r.operations.claim(running.operationId);
      await r.operations.fail(done.operationId, 'x');
      expect(await r.operations.markNonterminalStale()).toBe(2);
      expect((await r.operations.get(queued.operationId))!.state).toBe('stale');
      expect((await r.operations.get(running.operationId))!.state).toBe('stale');
      expect((await r.operations.get(done.operationId))!.state).toBe('failed');
    });

    it('expireStale marks running operations whose last heartbeat is before the cutoff stale', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const silent = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      const alive = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      const queued = await r.operations.create({ kind: 'k', callerSessionId: 'c' });
      await r.operations.claim(silent.operationId);
      await r.operations.claim(alive.operationId);
      clock.advance(60 * SECOND);
      await r.operations.touch(alive.operationId);
      const cutoff = new Date(clock.now().getTime() - 30 * SECOND);
      expect(await r.operations.expireStale(cutoff)).toBe(1);
      expect((await r.operations.get(silent.operationId))!).toMatchObject({ state: 'stale', completedAt: clock.now() });
      expect((await r.operations.get(alive.operationId))!.state).toBe('running');
      expect((await r.operations.get(queued.operationId))!.state).toBe('queued');
    });

    it('bad input gets a ValidationError naming the field and writes nothing', async () => {
      const { repositories: r } = await fresh();
      await expect(r.operations.create({ kind: '', callerSessionId: 'c' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'kind' });
      await expect(r.operations.create({ kind: 'k', callerSessionId: 'c', payload: { f: Symbol('x') } })).rejects.toMatchObject({
        field: 'payload',
      });
      await expect(r.operations.updateProgress('x', {})).rejects.toMatchObject({ field: 'progress' });
      await expect(r.operations.expireStale(new Date('nope'))).rejects.toMatchObject({ field: 'heartbeatCutoff' });
      expect(await r.operations.markNonterminalStale()).toBe(0);
    });
  });
}
