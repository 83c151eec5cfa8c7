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
      const a = (await r.inboundQueue.enqueue(text('s1', { content: 'a' })))!;
      clock.advance(1);
      const b = (await r.inboundQueue.enqueue(text('s1', { content: 'b' })))!;
      clock.advance(1);
      const c = (await r.inboundQueue.enqueue(text('s1', { content: 'c' })))!;
      await r.inboundQueue.enqueue(text('s2'));
      await r.inboundQueue.enqueue(text('s3'));
      await r.inboundQueue.markDelivered(c, await hold(r, c));
      await r.inboundQueue.markFailed(b, await hold(r, b), 'typing failed');
      expect((await r.inboundQueue.listPending('s1')).map((m) => m.id)).toEqual([a]);
      clock.advance(5 * SECOND);
      expect((await r.inboundQueue.listPending('s1')).map((m) => m.id)).toEqual([a, b]);
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
      const pending = (await r.inboundQueue.enqueue(text('s1')))!;
      const processing = (await r.inboundQueue.enqueue(text('s1')))!;
      const failed = (await r.inboundQueue.enqueue(text('s1')))!;
      const delivered = (await r.inboundQueue.enqueue(text('s1')))!;
      const other = (await r.inboundQueue.enqueue(text('s2')))!;
      await r.inboundQueue.claim(processing);
      await r.inboundQueue.markFailed(failed, await hold(r, failed), 'x');
      await r.inboundQueue.markDelivered(delivered, await hold(r, delivered));
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
