import { describe, expect, it } from 'vitest';
import { SECOND } from '../../src/domain/fields.js';
import type { QueueStats } from '../../src/domain/work-queue.js';
import type { Repositories } from '../../src/ports/repositories.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

/** The same claim-token rules, exercised through each TTL-locked queue's own methods. */
interface QueueUnderTest {
  name: string;
  ttlMs: number;
  enqueue(r: Repositories): Promise<number>;
  /** Claims what is claimable now; id -> token. */
  claim(r: Repositories, lockTtlMs?: number): Promise<Map<number, string>>;
  done(r: Repositories, id: number, token: string): Promise<void>;
  fail(r: Repositories, id: number, token: string): Promise<void>;
  doneMany(r: Repositories, items: { id: number; token: string }[]): Promise<void>;
  extend(r: Repositories, id: number, token: string, ttlMs: number): Promise<void>;
  release(r: Repositories, id: number, token: string): Promise<void>;
  isDone(r: Repositories, id: number): Promise<boolean>;
  attempts(r: Repositories, id: number): Promise<number>;
  stats(r: Repositories): Promise<QueueStats>;
  /** A failed attempt due again at once (the inbound queue: after its backoff), dead after `max` attempts. */
  failUpTo(r: Repositories, id: number, token: string, max: number): Promise<string>;
  redrive(r: Repositories, ids?: number[]): Promise<number>;
}

let inboundSessions = 0;
/** A retry time no test reaches (the inbound queue's own backoff is 5 s and more). */
const LATER = new Date('2100-01-01T00:00:00Z');

const QUEUES: QueueUnderTest[] = [
  {
    name: 'hook outbox',
    ttlMs: 30 * SECOND,
    enqueue: (r) => r.hookOutbox.enqueue({ sessionId: 's', eventType: 'stop' }),
    claim: async (r, lockTtlMs) => new Map((await r.hookOutbox.claimBatch({ limit: 100, lockTtlMs })).map((e) => [e.id, e.claimToken])),
    done: (r, id, token) => r.hookOutbox.markDelivered(id, token),
    fail: async (r, id, token) => {
      await r.hookOutbox.markFailed(id, token, 'boom', LATER);
    },
    doneMany: (r, items) => r.hookOutbox.markDeliveredMany(items),
    extend: (r, id, token, ttlMs) => r.hookOutbox.extend(id, token, ttlMs),
    release: (r, id, token) => r.hookOutbox.release(id, token),
    isDone: async (r, id) => (await r.hookOutbox.get(id))!.deliveredAt !== null,
    attempts: async (r, id) => (await r.hookOutbox.get(id))!.attemptCount,
    stats: (r) => r.hookOutbox.stats(),
    failUpTo: (r, id, token, max) => r.hookOutbox.markFailed(id, token, 'boom', new Date(0), max),
    redrive: (r, ids) => r.hookOutbox.redrive(ids ? { ids } : undefined),
  },
  {
    name: 'inbound queue',
    ttlMs: 300 * SECOND,
    // One session per message: the one-at-a-time rule of a session is not under test here.
    enqueue: async (r) =>
      (await r.inboundQueue.enqueue({ sessionId: `s${++inboundSessions}`, origin: 'telegram', messageType: 'text', content: 'hi' }))!,
    claim: async (r, lockTtlMs) => {
      const out = new Map<number, string>();
      for (let m = await r.inboundQueue.claimNext({ lockTtlMs }); m; m = await r.inboundQueue.claimNext({ lockTtlMs })) {
        out.set(m.id, m.claimToken);
      }
      return out;
    },
    done: (r, id, token) => r.inboundQueue.markDelivered(id, token),
    fail: async (r, id, token) => {
      await r.inboundQueue.markFailed(id, token, 'boom');
    },
    doneMany: (r, items) => r.inboundQueue.markDeliveredMany(items),
    extend: (r, id, token, ttlMs) => r.inboundQueue.extend(id, token, ttlMs),
    release: (r, id, token) => r.inboundQueue.release(id, token),
    isDone: async (r, id) => (await r.inboundQueue.get(id))!.status === 'delivered',
    attempts: async (r, id) => (await r.inboundQueue.get(id))!.attemptCount,
    stats: (r) => r.inboundQueue.stats(),
    failUpTo: (r, id, token, max) => r.inboundQueue.markFailed(id, token, 'boom', max),
    redrive: (r, ids) => r.inboundQueue.redrive(ids ? { ids } : undefined),
  },
  {
    name: 'webhook outbox',
    ttlMs: 30 * SECOND,
    enqueue: async (r) => {
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      return r.webhooks.enqueue({ contractId: 'c1', event: { kind: 'x' }, targetUrl: 'https://example.test/hook' });
    },
    claim: async (r, lockTtlMs) => new Map((await r.webhooks.claimBatch({ limit: 100, lockTtlMs })).map((d) => [d.id, d.claimToken])),
    done: (r, id, token) => r.webhooks.markDelivered(id, token),
    fail: async (r, id, token) => {
      await r.webhooks.markFailed(id, token, 'HTTP 500', LATER);
    },
    doneMany: (r, items) => r.webhooks.markDeliveredMany(items),
    extend: (r, id, token, ttlMs) => r.webhooks.extend(id, token, ttlMs),
    release: (r, id, token) => r.webhooks.release(id, token),
    isDone: async (r, id) => (await r.webhooks.getDelivery(id))!.status === 'delivered',
    attempts: async (r, id) => (await r.webhooks.getDelivery(id))!.attemptCount,
    stats: (r) => r.webhooks.stats(),
    failUpTo: (r, id, token, max) => r.webhooks.markFailed(id, token, 'HTTP 500', new Date(0), max),
    redrive: (r, ids) => r.webhooks.redrive(ids ? { ids } : undefined),
  },
];

export function queueClaimsContract({ fresh, another }: ContractContext): void {
  for (const q of QUEUES) {
    describe(`claim tokens: ${q.name}`, () => {
      it('every claim stores a fresh token; a worker whose claim expired and was taken by another cannot mark, extend or release the row', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        const id = await q.enqueue(r);
        const stale = (await q.claim(r)).get(id)!;
        expect(stale).toEqual(expect.any(String));
        clock.advance(q.ttlMs + 1);
        const other = await another({ clock });
        const current = (await q.claim(other.repositories)).get(id)!;
        expect(current).not.toBe(stale);
        for (const attempt of [
          () => q.done(r, id, stale),
          () => q.fail(r, id, stale),
          () => q.doneMany(r, [{ id, token: stale }]),
          () => q.extend(r, id, stale, 60 * SECOND),
          () => q.release(r, id, stale),
        ]) {
          await expect(attempt()).rejects.toMatchObject({ code: 'TC_CONFLICT', message: expect.stringContaining(String(id)) });
        }
        expect(await q.isDone(r, id)).toBe(false);
        expect(await q.attempts(r, id)).toBe(0);
        expect((await q.claim(r)).size).toBe(0);
        await q.done(other.repositories, id, current);
        expect(await q.isDone(r, id)).toBe(true);
        await expect(q.done(r, id, stale)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
        await expect(q.done(r, 987_654, current)).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
      });

      it('extend keeps a claim held past its TTL until the extension passes, and the owner can still mark it', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        const id = await q.enqueue(r);
        const token = (await q.claim(r)).get(id)!;
        clock.advance(q.ttlMs - 1);
        await q.extend(r, id, token, 3 * q.ttlMs);
        clock.advance(2 * q.ttlMs);
        expect((await q.claim(r)).size).toBe(0);
        expect((await q.claim(r, 0)).size).toBe(0);
        clock.advance(q.ttlMs);
        expect((await q.claim(r)).size).toBe(0);
        await q.done(r, id, token);
        expect(await q.isDone(r, id)).toBe(true);

        const lapsed = await q.enqueue(r);
        const first = (await q.claim(r)).get(lapsed)!;
        await q.extend(r, lapsed, first, 2 * q.ttlMs);
        clock.advance(2 * q.ttlMs + 1);
        const second = (await q.claim(r)).get(lapsed);
        expect(second).toEqual(expect.any(String));
        await expect(q.done(r, lapsed, first)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      });

      it('release makes the row claimable at once without counting an attempt; the released token is spent', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        const id = await q.enqueue(r);
        const token = (await q.claim(r)).get(id)!;
        expect((await q.claim(r)).size).toBe(0);
        await q.release(r, id, token);
        const again = (await q.claim(r)).get(id);
        expect(again).toEqual(expect.any(String));
        expect(await q.attempts(r, id)).toBe(0);
        await expect(q.release(r, id, token)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
        await expect(q.done(r, id, token)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
        await q.done(r, id, again!);
      });

      it('a failed mark spends the token: the same claim cannot fail or finish the row twice', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        const id = await q.enqueue(r);
        const token = (await q.claim(r)).get(id)!;
        await q.fail(r, id, token);
        await expect(q.fail(r, id, token)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
        await expect(q.done(r, id, token)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
        expect(await q.attempts(r, id)).toBe(1);
      });

      it('stats counts ready, scheduled (waiting for a retry), in flight, failed, and the age of the oldest ready row', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        expect(await q.stats(r)).toEqual({ ready: 0, scheduled: 0, inFlight: 0, failed: 0, dead: 0, oldestReadyAgeMs: null });
        const start = clock.now().getTime();
        await q.enqueue(r);
        const failing = await q.enqueue(r);
        const tokens = await q.claim(r);
        await q.fail(r, failing, tokens.get(failing)!);
        clock.advance(1000);
        await q.enqueue(r);
        clock.advance(250);
        await q.enqueue(r);
        expect(await q.stats(r)).toEqual({ ready: 2, scheduled: 1, inFlight: 1, failed: 1, dead: 0, oldestReadyAgeMs: 250 });
        clock.advance(q.ttlMs);
        const stale = await q.stats(r);
        expect(stale).toMatchObject({ inFlight: 0, failed: 1, dead: 0, oldestReadyAgeMs: clock.now().getTime() - start });
        expect(stale.ready + stale.scheduled).toBe(4);
      });

      it('the maxAttempts-th failure puts the row in the dead letter: never claimed, counted dead; redrive brings it back', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        const id = await q.enqueue(r);
        const first = (await q.claim(r)).get(id)!;
        expect(await q.failUpTo(r, id, first, 2)).not.toBe('dead_letter');
        clock.advance(10 * SECOND);
        const second = (await q.claim(r)).get(id)!;
        expect(await q.failUpTo(r, id, second, 2)).toBe('dead_letter');
        clock.advance(3_600 * SECOND);
        expect((await q.claim(r)).size).toBe(0);
        expect(await q.stats(r)).toMatchObject({ ready: 0, scheduled: 0, inFlight: 0, dead: 1 });
        expect(await q.attempts(r, id)).toBe(2);
        expect(await q.redrive(r, [id + 1000])).toBe(0);
        expect(await q.redrive(r)).toBe(1);
        expect(await q.redrive(r)).toBe(0);
        expect(await q.stats(r)).toMatchObject({ ready: 1, dead: 0 });
        expect(await q.attempts(r, id)).toBe(0);
        const third = (await q.claim(r)).get(id)!;
        await q.done(r, id, third);
        expect(await q.isDone(r, id)).toBe(true);
      });

      it('markDeliveredMany completes a batch in one call, and changes nothing when one token is stale', async () => {
        const clock = new ManualClock();
        const { repositories: r } = await fresh({ clock });
        const ids = [await q.enqueue(r), await q.enqueue(r), await q.enqueue(r)];
        const tokens = await q.claim(r);
        const [a, b, c] = ids as [number, number, number];
        await q.release(r, b, tokens.get(b)!);
        await expect(q.doneMany(r, ids.map((id) => ({ id, token: tokens.get(id)! })))).rejects.toMatchObject({
          code: 'TC_CONFLICT',
          message: expect.stringContaining(String(b)),
        });
        for (const id of ids) expect(await q.isDone(r, id)).toBe(false);
        await expect(q.doneMany(r, [{ id: a, token: tokens.get(a)! }, { id: 999_999, token: 'x' }])).rejects.toMatchObject({
          code: 'TC_NOT_FOUND',
        });
        expect(await q.isDone(r, a)).toBe(false);
        await q.doneMany(r, [
          { id: c, token: tokens.get(c)! },
          { id: a, token: tokens.get(a)! },
        ]);
        expect(await q.isDone(r, a)).toBe(true);
        expect(await q.isDone(r, c)).toBe(true);
        expect(await q.isDone(r, b)).toBe(false);
      });
    });
  }
}
