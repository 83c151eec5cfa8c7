import { describe, expect, it } from 'vitest';
import { HOUR, SECOND } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { Repositories } from '../../src/ports/repositories.js';
import type { ContractContext } from './engines.js';

const text = (sessionId: string, extra: Record<string, unknown> = {}) => ({ sessionId, origin: 'telegram', messageType: 'text' as const, content: 'hi', ...extra });

/** Claims the message now and returns its claim token. */
async function hold(r: Repositories, id: number): Promise<string> {
  const claimed = await r.inboundQueue.claim(id);
  if (!claimed) throw new Error(`message ${id} is not claimable`);
  return claimed.claimToken;
}

export function inboundQueueContract({ fresh, another }: ContractContext): void {
  describe('InboundQueueRepository', () => {
    it('enqueue stores a pending message with defaults and returns its id', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = (await r.inboundQueue.enqueue({ sessionId: 's1', origin: 'discord', messageType: 'voice', payload: { file: 'a.ogg' } }))!;
      expect(await r.inboundQueue.get(id)).toEqual({
        id,
        sessionId: 's1',
        origin: 'discord',
        messageType: 'voice',
        content: '',
        payload: { file: 'a.ogg' },
        actorId: null,
        actorName: null,
        actorAvatarUrl: null,
        status: 'pending',
        createdAt: clock.now(),
        processedAt: null,
        attemptCount: 0,
        nextRetryAt: null,
        lastError: null,
        lockedAt: null,
        sourceMessageId: null,
        sourceChannelId: null,
      });
    });

    it('enqueue returns null and writes nothing for a duplicate (origin, sourceMessageId)', async () => {
      const { repositories: r } = await fresh();
      const first = await r.inboundQueue.enqueue(text('s1', { sourceMessageId: 'm1', actorName: 'Ann' }));
      expect(first).toEqual(expect.any(Number));
      expect(await r.inboundQueue.enqueue(text('s1', { sourceMessageId: 'm1', content: 'again' }))).toBeNull();
      expect(await r.inboundQueue.enqueue(text('s1', { sourceMessageId: 'm1', origin: 'discord' }))).toEqual(expect.any(Number));
      expect(await r.inboundQueue.enqueue(text('s1'))).toEqual(expect.any(Number));
      expect(await r.inboundQueue.enqueue(text('s1'))).toEqual(expect.any(Number));
      expect((await r.inboundQueue.listPending('s1')).map((m) => m.content)).toEqual(['hi', 'hi', 'hi', 'hi']);
    });

    it('concurrent enqueues of one platform message keep exactly one', async () => {
      const store = await fresh();
      const other = await another();
      const ids = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).repositories.inboundQueue.enqueue(text('s', { sourceMessageId: 'dup' }))),
      );
      expect(ids.filter((id) => id !== null)).toHaveLength(1);
      expect(await store.repositories.inboundQueue.listPending('s')).toHaveLength(1);
    });

    it('listPending is FIFO over due pending and failed messages of the session; sessionsWithPending lists their sessions', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const c = (await r.inboundQueue.enqueue(text('s1', { content: 'c' })))!;
      await r.inboundQueue.markDelivered(c, await hold(r, c));
      clock.advance(1);
      const b = (await r.inboundQueue.enqueue(text('s1', { content: 'b' })))!;
      await r.inboundQueue.markFailed(b, await hold(r, b), 'typing failed');
      clock.advance(1);
      const a = (await r.inboundQueue.enqueue(text('s1', { content: 'a' })))!;
      await r.inboundQueue.enqueue(text('s2'));
      await r.inboundQueue.enqueue(text('s3'));
      expect((await r.inboundQueue.listPending('s1')).map((m) => m.id)).toEqual([a]);
      clock.advance(5 * SECOND);
      expect((await r.inboundQueue.listPending('s1')).map((m) => m.id)).toEqual([b, a]);
      expect(await r.inboundQueue.sessionsWithPending()).toEqual(['s1', 's2', 's3']);
      await r.inboundQueue.expireForSession('s3');
      expect(await r.inboundQueue.sessionsWithPending()).toEqual(['s1', 's2']);
    });

    it('claim moves a message to processing once; it is claimable again only after the lock is older than 300 s', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = (await r.inboundQueue.enqueue(text('s')))!;
      expect(await r.inboundQueue.claim(id)).toMatchObject({ id, status: 'processing', lockedAt: clock.now() });
      expect(await r.inboundQueue.claim(id)).toBeNull();
      clock.advance(300 * SECOND);
      expect(await r.inboundQueue.claim(id)).toBeNull();
      clock.advance(1);
      expect(await r.inboundQueue.claim(id)).toMatchObject({ status: 'processing', lockedAt: clock.now() });
      clock.advance(11 * SECOND);
      const last = await r.inboundQueue.claim(id, 10 * SECOND);
      expect(last).not.toBeNull();
      await r.inboundQueue.markDelivered(id, last!.claimToken);
      clock.advance(HOUR);
      expect(await r.inboundQueue.claim(id)).toBeNull();
      await expect(r.inboundQueue.claim(4242)).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('claimNext takes the oldest due message of a session with nothing in flight; claim(id) refuses a younger one', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const m1 = (await r.inboundQueue.enqueue(text('s1')))!;
      const m2 = (await r.inboundQueue.enqueue(text('s1')))!;
      const m3 = (await r.inboundQueue.enqueue(text('s2')))!;
      expect(await r.inboundQueue.claim(m2)).toBeNull();
      const first = (await r.inboundQueue.claimNext())!;
      expect(first).toMatchObject({ id: m1, status: 'processing', claimToken: expect.any(String) });
      expect(await r.inboundQueue.claimNext({ sessionId: 's1' })).toBeNull();
      expect(await r.inboundQueue.claim(m2)).toBeNull();
      expect((await r.inboundQueue.claimNext())!.id).toBe(m3);
      expect(await r.inboundQueue.claimNext()).toBeNull();
      await r.inboundQueue.markFailed(m1, first.claimToken, 'tmux busy');
      const second = (await r.inboundQueue.claimNext())!;
      expect(second.id).toBe(m2);
      await r.inboundQueue.markDelivered(m2, second.claimToken);
      expect(await r.inboundQueue.claimNext()).toBeNull();
      clock.advance(5 * SECOND);
      const retried = (await r.inboundQueue.claimNext({ sessionId: 's1' }))!;
      expect(retried).toMatchObject({ id: m1, attemptCount: 1 });
      clock.advance(300 * SECOND + 1);
      expect((await r.inboundQueue.claimNext())).toMatchObject({ id: m1 });
      await expect(r.inboundQueue.claimNext({ sessionId: '' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options.sessionId' });
    });

    it('several workers on separate connections never hold two messages of one session, and get each session in id order', async () => {
      const store = await fresh();
      const workers = [store, await another(), await another(), await another()];
      const sessions = ['a', 'b', 'c', 'd', 'e'];
      const expected = new Map(sessions.map((s) => [s, [] as number[]]));
      for (let i = 0; i < 8; i++) {
        for (const s of sessions) expected.get(s)!.push((await store.repositories.inboundQueue.enqueue(text(s, { content: `${s}${i}` })))!);
      }
      const inFlight = new Set<string>();
      const handedOut = new Map(sessions.map((s) => [s, [] as number[]]));
      const overlaps: string[] = [];
      let peak = 0;
      const total = sessions.length * 8;
      let done = 0;
      const deadline = Date.now() + 60_000;
      await Promise.all(
        workers.map(async (w) => {
          while (done < total && Date.now() < deadline) {
            const m = await w.repositories.inboundQueue.claimNext();
            if (!m) {
              await new Promise((resolve) => setTimeout(resolve, 2));
              continue;
            }
            if (inFlight.has(m.sessionId)) overlaps.push(`${m.sessionId}:${m.id}`);
            inFlight.add(m.sessionId);
            peak = Math.max(peak, inFlight.size);
            handedOut.get(m.sessionId)!.push(m.id);
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
            // Off the in-flight set before the commit: only the database keeps the next claim out.
            inFlight.delete(m.sessionId);
            await w.repositories.inboundQueue.markDelivered(m.id, m.claimToken);
            done++;
          }
        }),
      );
      expect(overlaps).toEqual([]);
      expect(handedOut).toEqual(expected);
      expect(peak).toBeGreaterThan(1);
    });

    it('of concurrent claims of one message exactly one wins', async () => {
      const store = await fresh();
      const other = await another();
      const id = (await store.repositories.inboundQueue.enqueue(text('s')))!;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).repositories.inboundQueue.claim(id)),
      );
      expect(results.filter((m) => m !== null)).toHaveLength(1);
    });

    it('markFailed counts attempts and schedules retries 5, 10, 20, 40, 80, 160, 300, 300 s later', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = (await r.inboundQueue.enqueue(text('s')))!;
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 8; attempt++) {
        await r.inboundQueue.markFailed(id, await hold(r, id), `fail ${attempt}`);
        const m = (await r.inboundQueue.get(id))!;
        expect(m).toMatchObject({ status: 'failed', attemptCount: attempt, lastError: `fail ${attempt}`, lockedAt: null });
        delays.push((m.nextRetryAt!.getTime() - clock.now().getTime()) / SECOND);
        clock.advance(HOUR);
      }
      expect(delays).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
    });

    it('listPending returns at most limit messages by id, skips held locks and lists a message whose lock went stale', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await r.inboundQueue.enqueue(text('s', { content: `m${i}` })))!);
      expect((await r.inboundQueue.listPending('s', { limit: 2 })).map((m) => m.id)).toEqual(ids.slice(0, 2));
      await r.inboundQueue.claim(ids[0]!);
      expect((await r.inboundQueue.listPending('s', { limit: 2 })).map((m) => m.id)).toEqual(ids.slice(1, 3));
      clock.advance(60 * SECOND);
      expect((await r.inboundQueue.listPending('s', { limit: 1 })).map((m) => m.id)).toEqual([ids[1]]);
      expect((await r.inboundQueue.listPending('s', { limit: 1, lockTtlMs: 60 * SECOND })).map((m) => m.id)).toEqual([ids[1]]);
      expect((await r.inboundQueue.listPending('s', { limit: 1, lockTtlMs: 60 * SECOND - 1 })).map((m) => m.id)).toEqual([ids[0]]);
      clock.advance(240 * SECOND + 1);
      expect((await r.inboundQueue.listPending('s')).map((m) => m.id)).toEqual(ids);
      expect(await r.inboundQueue.claim(ids[0]!)).toMatchObject({ id: ids[0], status: 'processing' });
      expect((await r.inboundQueue.listPending('s')).map((m) => m.id)).toEqual(ids.slice(1));
      expect(await r.inboundQueue.listPending('other')).toEqual([]);
    });

    it('markExpired records the reason as lastError; a repeated expiry keeps the first; without a reason the last failure stays', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const a = (await r.inboundQueue.enqueue(text('s')))!;
      const b = (await r.inboundQueue.enqueue(text('s')))!;
      const aToken = await hold(r, a);
      await r.inboundQueue.markExpired(a, aToken, 'session closed');
      expect(await r.inboundQueue.get(a)).toMatchObject({ status: 'expired', lastError: 'session closed', processedAt: clock.now() });
      clock.advance(1000);
      await r.inboundQueue.markExpired(a, aToken, 'again');
      expect(await r.inboundQueue.get(a)).toMatchObject({ lastError: 'session closed', processedAt: new Date(clock.now().getTime() - 1000) });
      await r.inboundQueue.markFailed(b, await hold(r, b), 'tmux gone');
      await r.inboundQueue.markExpired(b, await hold(r, b));
      expect(await r.inboundQueue.get(b)).toMatchObject({ status: 'expired', lastError: 'tmux gone' });
    });

    it('delivered and expired are final: transitions out of them are conflicts, repeating them is idempotent', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const d = (await r.inboundQueue.enqueue(text('s')))!;
      const e = (await r.inboundQueue.enqueue(text('s')))!;
      const dToken = await hold(r, d);
      await r.inboundQueue.markDelivered(d, dToken);
      const processedAt = clock.now();
      clock.advance(1000);
      await r.inboundQueue.markDelivered(d, dToken);
      expect(await r.inboundQueue.get(d)).toMatchObject({ status: 'delivered', processedAt, lockedAt: null });
      const eToken = await hold(r, e);
      await r.inboundQueue.markExpired(e, eToken);
      await r.inboundQueue.markExpired(e, eToken);
      await expect(r.inboundQueue.markFailed(d, dToken, 'x')).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.inboundQueue.markExpired(d, dToken)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.inboundQueue.markDelivered(e, eToken)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.inboundQueue.markFailed(e, eToken, 'x')).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.inboundQueue.markDelivered(777, dToken)).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
      expect(await r.inboundQueue.get(e)).toMatchObject({ status: 'expired', lockedAt: null });
    });

    it('expireForSession expires pending, processing and failed messages of that session only', async () => {
      const { repositories: r } = await fresh();
      // In an order the one-at-a-time rule allows: the failed message waits for its retry.
      const failed = (await r.inboundQueue.enqueue(text('s1')))!;
      await r.inboundQueue.markFailed(failed, await hold(r, failed), 'x');
      const delivered = (await r.inboundQueue.enqueue(text('s1')))!;
      await r.inboundQueue.markDelivered(delivered, await hold(r, delivered));
      const processing = (await r.inboundQueue.enqueue(text('s1')))!;
      await hold(r, processing);
      const pending = (await r.inboundQueue.enqueue(text('s1')))!;
      const other = (await r.inboundQueue.enqueue(text('s2')))!;
      expect(await r.inboundQueue.expireForSession('s1')).toBe(3);
      for (const id of [pending, processing, failed]) expect((await r.inboundQueue.get(id))!.status).toBe('expired');
      expect((await r.inboundQueue.get(delivered))!.status).toBe('delivered');
      expect((await r.inboundQueue.get(other))!.status).toBe('pending');
    });

    it('cleanup deletes delivered and expired messages older than 72 h by default', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const delivered = (await r.inboundQueue.enqueue(text('s')))!;
      const expired = (await r.inboundQueue.enqueue(text('s')))!;
      const pending = (await r.inboundQueue.enqueue(text('s')))!;
      await r.inboundQueue.markDelivered(delivered, await hold(r, delivered));
      await r.inboundQueue.markExpired(expired, await hold(r, expired));
      clock.advance(72 * HOUR);
      expect(await r.inboundQueue.cleanup()).toBe(0);
      clock.advance(1);
      expect(await r.inboundQueue.cleanup()).toBe(2);
      expect(await r.inboundQueue.get(delivered)).toBeNull();
      expect(await r.inboundQueue.get(pending)).not.toBeNull();
    });

    it('bad input gets a ValidationError naming the field and leaves the queue unchanged', async () => {
      const { repositories: r } = await fresh();
      await expect(r.inboundQueue.enqueue({ ...text('s'), messageType: 'video' as 'text' })).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'messageType',
      });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(r.inboundQueue.enqueue(text('s', { payload: cyclic }))).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'payload' });
      await expect(r.inboundQueue.enqueue(text('s', { unknownField: 1 }))).rejects.toMatchObject({ code: 'TC_VALIDATION' });
      await expect(r.inboundQueue.claim(1, -1)).rejects.toMatchObject({ field: 'lockTtlMs' });
      await expect(r.inboundQueue.cleanup(-1)).rejects.toMatchObject({ field: 'olderThanMs' });
      await expect(r.inboundQueue.listPending('s', { limit: 0 })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options.limit' });
      await expect(r.inboundQueue.listPending('s', { lockTtlMs: -1 })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options.lockTtlMs' });
      await expect(r.inboundQueue.listPending('')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'sessionId' });
      const id = (await r.inboundQueue.enqueue(text('s')))!;
      await expect(r.inboundQueue.markExpired(id, 'token', 7 as unknown as string)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'reason' });
      await expect(r.inboundQueue.markDelivered(id, '')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'token' });
      await expect(r.inboundQueue.extend(id, 'token', -1)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'ttlMs' });
      await expect(r.inboundQueue.markDeliveredMany([{ id: 0, token: 't' }])).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'items.0.id' });
      expect(await r.inboundQueue.get(id)).toMatchObject({ status: 'pending', lastError: null });
      await r.inboundQueue.markDelivered(id, await hold(r, id));
      expect(await r.inboundQueue.sessionsWithPending()).toEqual([]);
    });
  });
}
