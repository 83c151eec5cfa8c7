import { describe, expect, it } from 'vitest';
import { DAY, SECOND } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';
import type { Repositories } from '../../src/ports/repositories.js';

/** Claims every claimable event now and returns each one's claim token by id. */
async function claimAll(r: Repositories): Promise<Map<number, string>> {
  return new Map((await r.hookOutbox.claimBatch({ limit: 1000 })).map((e) => [e.id, e.claimToken]));
}

export function hookOutboxContract({ fresh, another }: ContractContext): void {
  describe('HookOutboxRepository', () => {
    it('enqueue stores a due, unlocked, undelivered event and returns its id', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = await r.hookOutbox.enqueue({ sessionId: 's1', eventType: 'stop', payload: { a: [1, { b: null }] } });
      expect(await r.hookOutbox.get(id)).toEqual({
        id,
        sessionId: 's1',
        eventType: 'stop',
        payload: { a: [1, { b: null }] },
        createdAt: clock.now(),
        nextAttemptAt: clock.now(),
        attemptCount: 0,
        lastError: null,
        deliveredAt: null,
        lockedAt: null,
      });
      expect(await r.hookOutbox.enqueue({ sessionId: 's1', eventType: 'stop' })).toBeGreaterThan(id);
      expect(await r.hookOutbox.get(999_999)).toBeNull();
    });

    it('claimBatch claims up to limit due rows oldest first and locks them', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await r.hookOutbox.enqueue({ sessionId: 's', eventType: `e${i}` }));
        clock.advance(10);
      }
      const first = await r.hookOutbox.claimBatch({ limit: 3 });
      expect(first.map((e) => e.id)).toEqual(ids.slice(0, 3));
      expect(first.every((e) => e.lockedAt?.getTime() === clock.now().getTime())).toBe(true);
      expect((await r.hookOutbox.claimBatch({ limit: 10 })).map((e) => e.id)).toEqual(ids.slice(3));
      expect(await r.hookOutbox.claimBatch({ limit: 10 })).toEqual([]);
    });

    it('claimBatch skips rows that are not due until their nextAttemptAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const later = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x', nextAttemptAt: new Date(clock.now().getTime() + 60 * SECOND) });
      const now = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'y' });
      const [claimed] = await r.hookOutbox.claimBatch({ limit: 10 });
      expect(claimed?.id).toBe(now);
      await r.hookOutbox.markDelivered(now, claimed!.claimToken);
      clock.advance(60 * SECOND);
      expect((await r.hookOutbox.claimBatch({ limit: 10 })).map((e) => e.id)).toEqual([later]);
    });

    it('a claimed row is reclaimable only once its lock is older than the TTL (default 30 s)', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      await r.hookOutbox.claimBatch({ limit: 1 });
      clock.advance(30 * SECOND);
      expect(await r.hookOutbox.claimBatch({ limit: 1 })).toEqual([]);
      clock.advance(1);
      const [again] = await r.hookOutbox.claimBatch({ limit: 1 });
      expect(again).toMatchObject({ id, lockedAt: clock.now() });
      clock.advance(5 * SECOND + 1);
      expect((await r.hookOutbox.claimBatch({ limit: 1, lockTtlMs: 5 * SECOND })).map((e) => e.id)).toEqual([id]);
    });

    it('markDelivered releases the lock, is never claimed again and keeps the first deliveredAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const token = (await claimAll(r)).get(id)!;
      await r.hookOutbox.markDelivered(id, token);
      const deliveredAt = clock.now();
      clock.advance(DAY);
      await r.hookOutbox.markDelivered(id, token);
      expect(await r.hookOutbox.get(id)).toMatchObject({ deliveredAt, lockedAt: null });
      expect(await r.hookOutbox.claimBatch({ limit: 1 })).toEqual([]);
      await expect(r.hookOutbox.markDelivered(id, 'another-token')).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.hookOutbox.markDelivered(12345, token)).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('markDelivered records an optional error as lastError, clears an earlier one without it, and keeps the first outcome', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const dropped = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const retried = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const tokens = await claimAll(r);
      await r.hookOutbox.markDelivered(dropped, tokens.get(dropped)!, 'payload is not JSON');
      expect(await r.hookOutbox.get(dropped)).toMatchObject({ deliveredAt: clock.now(), lastError: 'payload is not JSON', lockedAt: null });
      await r.hookOutbox.markFailed(retried, tokens.get(retried)!, 'timeout', clock.now());
      const retriedToken = (await claimAll(r)).get(retried)!;
      await r.hookOutbox.markDelivered(retried, retriedToken);
      expect(await r.hookOutbox.get(retried)).toMatchObject({ deliveredAt: clock.now(), lastError: null, attemptCount: 1 });
      clock.advance(1000);
      await r.hookOutbox.markDelivered(retried, retriedToken, 'late');
      await r.hookOutbox.markDelivered(dropped, tokens.get(dropped)!);
      expect(await r.hookOutbox.get(retried)).toMatchObject({ lastError: null, deliveredAt: new Date(clock.now().getTime() - 1000) });
      expect(await r.hookOutbox.get(dropped)).toMatchObject({ lastError: 'payload is not JSON' });
      expect(await r.hookOutbox.claimBatch({ limit: 10 })).toEqual([]);
    });

    it('markFailed counts the attempt, records the error and reschedules with the lock released', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const id = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const first = (await claimAll(r)).get(id)!;
      const retryAt = new Date(clock.now().getTime() + 10 * SECOND);
      await r.hookOutbox.markFailed(id, first, 'boom', retryAt);
      await expect(r.hookOutbox.markFailed(id, first, 'the same claim again', retryAt)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect(await r.hookOutbox.get(id)).toMatchObject({ attemptCount: 1, lastError: 'boom', nextAttemptAt: retryAt, lockedAt: null });
      clock.advance(10 * SECOND);
      const second = (await claimAll(r)).get(id)!;
      await r.hookOutbox.markFailed(id, second, 'boom again', retryAt);
      expect(await r.hookOutbox.get(id)).toMatchObject({ attemptCount: 2, lastError: 'boom again', nextAttemptAt: retryAt, lockedAt: null });
      const [third] = await r.hookOutbox.claimBatch({ limit: 1 });
      expect(third).toMatchObject({ id, attemptCount: 2 });
      await r.hookOutbox.markDelivered(id, third!.claimToken);
      await expect(r.hookOutbox.markFailed(id, third!.claimToken, 'late', retryAt)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.hookOutbox.markFailed(12345, 'x', 'x', retryAt)).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('purgeDelivered deletes only events delivered longer ago than the age and returns the count', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const old = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const recent = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const tokens = await claimAll(r);
      const pending = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      await r.hookOutbox.markDelivered(old, tokens.get(old)!);
      clock.advance(2 * DAY);
      await r.hookOutbox.markDelivered(recent, tokens.get(recent)!);
      expect(await r.hookOutbox.purgeDelivered(DAY)).toBe(1);
      expect(await r.hookOutbox.get(old)).toBeNull();
      expect(await r.hookOutbox.get(recent)).not.toBeNull();
      expect(await r.hookOutbox.get(pending)).not.toBeNull();
    });

    it('concurrent claimBatch calls from two stores never hand one row to two claimers', async () => {
      const store = await fresh();
      const ids: number[] = [];
      for (let i = 0; i < 60; i++) ids.push(await store.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' }));
      const other = await another();
      const batches = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).repositories.hookOutbox.claimBatch({ limit: 4 })),
      );
      const claimed = batches.flat().map((e) => e.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort((a, b) => a - b)).toEqual(ids);
    });

    it('bad input gets a ValidationError naming the field and writes nothing', async () => {
      const { repositories: r } = await fresh();
      await expect(r.hookOutbox.claimBatch({ limit: -1 })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'limit' });
      await expect(r.hookOutbox.claimBatch({ limit: 1, lockTtlMs: -5 })).rejects.toMatchObject({ field: 'lockTtlMs' });
      await expect(r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x', payload: { f: () => 1 } })).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'payload',
        message: expect.stringContaining('f: a function cannot be stored as JSON'),
      });
      await expect(r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x', payload: { n: 10n } })).rejects.toMatchObject({ field: 'payload' });
      await expect(r.hookOutbox.enqueue({ sessionId: '', eventType: 'x' })).rejects.toMatchObject({ field: 'sessionId' });
      await expect(r.hookOutbox.markFailed(0, 't', 'x', new Date())).rejects.toMatchObject({ field: 'id' });
      const id = await r.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
      const token = (await claimAll(r)).get(id)!;
      await expect(r.hookOutbox.markDelivered(id, token, 42 as unknown as string)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'error' });
      await expect(r.hookOutbox.markDelivered(id, '')).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'token' });
      await expect(r.hookOutbox.extend(id, token, 0)).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'ttlMs' });
      await expect(r.hookOutbox.markDeliveredMany([])).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'items' });
      await expect(
        r.hookOutbox.markDeliveredMany([
          { id, token },
          { id, token },
        ]),
      ).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'items' });
      await expect(r.hookOutbox.markDeliveredMany([{ id, token: 7 as unknown as string }])).rejects.toMatchObject({
        code: 'TC_VALIDATION',
        field: 'items.0.token',
      });
      expect(await r.hookOutbox.get(id)).toMatchObject({ deliveredAt: null, lastError: null });
      await r.hookOutbox.markDelivered(id, token);
      expect(await r.hookOutbox.claimBatch({ limit: 100 })).toEqual([]);
    });
  });
}
