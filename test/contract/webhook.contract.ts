import { describe, expect, it } from 'vitest';
import { DAY, SECOND } from '../../src/domain/fields.js';
import { ManualClock } from '../support/manual-clock.js';
import type { ContractContext } from './engines.js';

const delivery = (extra: Record<string, unknown> = {}) => ({ contractId: 'c1', event: { type: 'session.closed' }, targetUrl: 'https://example.com/h', ...extra });

export function webhookContract({ fresh }: ContractContext): void {
  describe('WebhookRepository', () => {
    it('upsertContract inserts active, replaces (keeping createdAt) and reactivates; deactivate and listContracts', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      const created = await r.webhooks.upsertContract({ id: 'c1', contract: { events: ['a'] } });
      expect(created).toEqual({ id: 'c1', contract: { events: ['a'] }, active: true, source: 'api', createdAt: clock.now(), updatedAt: clock.now() });
      await r.webhooks.upsertContract({ id: 'c2', contract: {}, source: 'config' });
      clock.advance(SECOND);
      expect(await r.webhooks.deactivate('c1')).toMatchObject({ active: false, updatedAt: clock.now() });
      expect((await r.webhooks.listContracts({ activeOnly: true })).map((c) => c.id)).toEqual(['c2']);
      expect((await r.webhooks.listContracts()).map((c) => c.id)).toEqual(['c1', 'c2']);
      clock.advance(SECOND);
      const replaced = await r.webhooks.upsertContract({ id: 'c1', contract: { events: ['b'] } });
      expect(replaced).toEqual({ ...created, contract: { events: ['b'] }, updatedAt: clock.now() });
      expect(await r.webhooks.getContract('c1')).toEqual(replaced);
      expect(await r.webhooks.getContract('nope')).toBeNull();
      await expect(r.webhooks.deactivate('nope')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
    });

    it('enqueue stores a pending delivery due now; an unknown contract is a ForeignKeyError', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      const id = await r.webhooks.enqueue(delivery({ targetSecret: 's3cret' }));
      expect(await r.webhooks.getDelivery(id)).toEqual({
        id,
        contractId: 'c1',
        event: { type: 'session.closed' },
        targetUrl: 'https://example.com/h',
        targetSecret: 's3cret',
        status: 'pending',
        createdAt: clock.now(),
        deliveredAt: null,
        attemptCount: 0,
        nextAttemptAt: clock.now(),
        lastError: null,
        lockedAt: null,
      });
      await expect(r.webhooks.enqueue(delivery({ contractId: 'ghost' }))).rejects.toMatchObject({ code: 'TC_FOREIGN_KEY' });
      expect(await r.webhooks.getDelivery(id + 1)).toBeNull();
    });

    it('claimBatch claims due pending deliveries oldest first and recovers locks older than the TTL', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push(await r.webhooks.enqueue(delivery()));
        clock.advance(10);
      }
      const future = await r.webhooks.enqueue(delivery({ nextAttemptAt: new Date(clock.now().getTime() + 60 * SECOND) }));
      expect((await r.webhooks.claimBatch({ limit: 3 })).map((d) => d.id)).toEqual(ids.slice(0, 3));
      expect((await r.webhooks.claimBatch({ limit: 3 })).map((d) => d.id)).toEqual([ids[3]]);
      clock.advance(30 * SECOND);
      expect(await r.webhooks.claimBatch({ limit: 10 })).toEqual([]);
      clock.advance(1);
      const recovered = await r.webhooks.claimBatch({ limit: 10 });
      expect(recovered.map((d) => d.id)).toEqual(ids);
      expect(recovered.every((d) => d.lockedAt!.getTime() === clock.now().getTime())).toBe(true);
      clock.advance(30 * SECOND);
      expect((await r.webhooks.claimBatch({ limit: 10, lockTtlMs: 60 * SECOND })).map((d) => d.id)).toEqual([future]);
    });

    it('markFailed keeps the delivery pending until the 10th failure moves it to dead_letter', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      const id = await r.webhooks.enqueue(delivery());
      const statuses: string[] = [];
      let token = '';
      for (let i = 1; i <= 10; i++) {
        token = (await r.webhooks.claimBatch({ limit: 1 }))[0]!.claimToken;
        statuses.push(await r.webhooks.markFailed(id, token, `HTTP 500 #${i}`, clock.now()));
      }
      expect(statuses).toEqual([...Array(9).fill('pending'), 'dead_letter']);
      expect(await r.webhooks.getDelivery(id)).toMatchObject({ status: 'dead_letter', attemptCount: 10, lastError: 'HTTP 500 #10', lockedAt: null });
      expect(await r.webhooks.claimBatch({ limit: 1 })).toEqual([]);
      expect(await r.webhooks.stats()).toEqual({ ready: 0, scheduled: 0, inFlight: 0, failed: 0, dead: 1, oldestReadyAgeMs: null });
      await expect(r.webhooks.markFailed(id, token, 'x', clock.now())).rejects.toMatchObject({ code: 'TC_CONFLICT' });

      const quick = await r.webhooks.enqueue(delivery());
      const first = (await r.webhooks.claimBatch({ limit: 1 }))[0]!.claimToken;
      expect(await r.webhooks.markFailed(quick, first, 'a', clock.now(), 2)).toBe('pending');
      const second = (await r.webhooks.claimBatch({ limit: 1 }))[0]!.claimToken;
      expect(await r.webhooks.markFailed(quick, second, 'b', clock.now(), 2)).toBe('dead_letter');
    });

    it('a failed delivery is due again at its nextAttemptAt', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      const id = await r.webhooks.enqueue(delivery());
      const [claimed] = await r.webhooks.claimBatch({ limit: 1 });
      await r.webhooks.markFailed(id, claimed!.claimToken, 'timeout', new Date(clock.now().getTime() + 10 * SECOND));
      expect(await r.webhooks.claimBatch({ limit: 1 })).toEqual([]);
      clock.advance(10 * SECOND);
      expect(await r.webhooks.claimBatch({ limit: 1 })).toMatchObject([{ id, attemptCount: 1, lastError: 'timeout' }]);
    });

    it('markDelivered and markRejected end a pending delivery; later transitions are conflicts', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      const ok = await r.webhooks.enqueue(delivery());
      const bad = await r.webhooks.enqueue(delivery());
      const tokens = new Map((await r.webhooks.claimBatch({ limit: 2 })).map((d) => [d.id, d.claimToken]));
      await r.webhooks.markDelivered(ok, tokens.get(ok)!);
      await r.webhooks.markRejected(bad, tokens.get(bad)!, 'HTTP 410');
      expect(await r.webhooks.getDelivery(ok)).toMatchObject({ status: 'delivered', deliveredAt: clock.now(), lockedAt: null });
      expect(await r.webhooks.getDelivery(bad)).toMatchObject({ status: 'rejected', lastError: 'HTTP 410', lockedAt: null });
      await expect(r.webhooks.markDelivered(bad, tokens.get(bad)!)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.webhooks.markRejected(ok, tokens.get(ok)!, 'x')).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await expect(r.webhooks.markDelivered(9999, 'x')).rejects.toMatchObject({ code: 'TC_NOT_FOUND' });
      clock.advance(60 * SECOND);
      expect(await r.webhooks.claimBatch({ limit: 10 })).toEqual([]);
    });

    it('purge deletes delivered, rejected and dead_letter deliveries older than the age, never pending ones', async () => {
      const clock = new ManualClock();
      const { repositories: r } = await fresh({ clock });
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      const ok = await r.webhooks.enqueue(delivery());
      const bad = await r.webhooks.enqueue(delivery());
      const dead = await r.webhooks.enqueue(delivery());
      const tokens = new Map((await r.webhooks.claimBatch({ limit: 3 })).map((d) => [d.id, d.claimToken]));
      await r.webhooks.markDelivered(ok, tokens.get(ok)!);
      await r.webhooks.markRejected(bad, tokens.get(bad)!, 'HTTP 410');
      await r.webhooks.markFailed(dead, tokens.get(dead)!, 'HTTP 500', clock.now(), 1);
      const pending = await r.webhooks.enqueue(delivery());
      clock.advance(DAY);
      expect(await r.webhooks.purge(DAY)).toBe(0);
      clock.advance(1);
      expect(await r.webhooks.purge(DAY)).toBe(3);
      expect(await r.webhooks.getDelivery(ok)).toBeNull();
      expect(await r.webhooks.getDelivery(pending)).not.toBeNull();
    });

    it('bad input gets a ValidationError naming the field and leaves the outbox unchanged', async () => {
      const { repositories: r } = await fresh();
      await r.webhooks.upsertContract({ id: 'c1', contract: {} });
      await expect(r.webhooks.claimBatch({ limit: -3 })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'limit' });
      await expect(r.webhooks.enqueue(delivery({ event: { at: NaN } }))).rejects.toMatchObject({ field: 'event' });
      await expect(r.webhooks.enqueue(delivery({ targetUrl: 'not a url' }))).rejects.toMatchObject({ field: 'targetUrl' });
      await expect(r.webhooks.markFailed(1, 't', 'x', new Date(), 0)).rejects.toMatchObject({ field: 'maxAttempts' });
      await expect(r.webhooks.markRejected(1, '', 'x')).rejects.toMatchObject({ field: 'token' });
      await expect(r.webhooks.upsertContract({ id: 'c2', contract: [] as unknown as Record<string, unknown> })).rejects.toMatchObject({
        field: 'contract',
      });
      expect(await r.webhooks.claimBatch({ limit: 100 })).toEqual([]);
      expect((await r.webhooks.listContracts()).map((c) => c.id)).toEqual(['c1']);
    });
  });
}
