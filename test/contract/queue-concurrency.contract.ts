import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/ports/clock.js';
import type { Repositories } from '../../src/ports/repositories.js';
import type { Store } from '../../src/ports/store.js';
import { countById, drainTogether, startWorker, type WorkerSpec } from '../support/queue-workers.js';
import type { ContractContext } from './engines.js';

const ROWS = 2000;
const WORKERS = 4;
const ERRORS_THAT_MUST_NOT_ESCAPE = /SQLITE_BUSY|database is locked|could not serialize|deadlock|TC_UNAVAILABLE/i;

type QueueName = WorkerSpec['queue'];

/** Fills the queue with ROWS due rows in one transaction; returns their ids. */
async function fill(store: Store, queue: QueueName): Promise<number[]> {
  return store.transaction(async (tx: Repositories) => {
    const ids: number[] = [];
    if (queue === 'webhooks') await tx.webhooks.upsertContract({ id: 'c1', contract: { events: ['*'] } });
    for (let i = 0; i < ROWS; i++) {
      ids.push(
        queue === 'hookOutbox'
          ? await tx.hookOutbox.enqueue({ sessionId: `s${i % 7}`, eventType: 'stop', payload: { i } })
          : await tx.webhooks.enqueue({ contractId: 'c1', event: { i }, targetUrl: 'https://example.com/hook' }),
      );
    }
    return ids;
  });
}

async function undelivered(store: Store, queue: QueueName, ids: number[]): Promise<number[]> {
  const left: number[] = [];
  for (const id of ids) {
    const row = queue === 'hookOutbox' ? await store.repositories.hookOutbox.get(id) : await store.repositories.webhooks.getDelivery(id);
    const done = row && ('status' in row ? row.status === 'delivered' : row.deliveredAt !== null);
    if (!done) left.push(id);
  }
  return left;
}

function expectExactlyOnce(delivered: number[], ids: number[]): void {
  const counts = countById(delivered);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const missing = ids.filter((id) => !counts.has(id));
  expect({ twice, missing, total: delivered.length }).toEqual({ twice: [], missing: [], total: ids.length });
}

function expectCleanExits(results: { code: number | null; stderr: string }[]): void {
  for (const r of results) {
    expect(r.stderr).not.toMatch(ERRORS_THAT_MUST_NOT_ESCAPE);
    expect(r, r.stderr).toMatchObject({ code: 0 });
  }
}

export function queueConcurrencyContract({ fresh, connection }: ContractContext): void {
  for (const queue of ['hookOutbox', 'webhooks'] as const) {
    describe(`${queue} claimBatch across processes`, () => {
      it(`${WORKERS} worker processes draining ${ROWS} rows deliver each row exactly once, with no busy or serialization error`, async () => {
        const store = await fresh({ clock: systemClock });
        const ids = await fill(store, queue);
        const spec: WorkerSpec = { connection: connection(), queue, mode: 'drain', limit: 10, lockTtlMs: 30_000, idleMs: 1500 };
        const results = await drainTogether(spec, WORKERS);
        expectCleanExits(results);
        expectExactlyOnce(
          results.flatMap((r) => r.delivered),
          ids,
        );
        // Several workers got a share: the claims really were concurrent.
        expect(results.filter((r) => r.delivered.length > 0).length).toBeGreaterThan(1);
        expect(await undelivered(store, queue, ids)).toEqual([]);
      }, 60_000);

      it('rows of a worker SIGKILLed while holding claims are reclaimed after the TTL and delivered exactly once', async () => {
        const store = await fresh({ clock: systemClock });
        const ids = await fill(store, queue);
        const lockTtlMs = 1500;
        const holder = startWorker({ connection: connection(), queue, mode: 'hold', limit: 50, lockTtlMs, idleMs: 0 });
        const held = await holder.held;
        expect(held).toHaveLength(50);
        holder.kill('SIGKILL');
        expect((await holder.done).signal).toBe('SIGKILL');
        const killedAt = Date.now();

        const spec: WorkerSpec = { connection: connection(), queue, mode: 'drain', limit: 10, lockTtlMs, idleMs: lockTtlMs + 1500 };
        const results = await drainTogether(spec, WORKERS);
        expectCleanExits(results);
        const delivered = results.flatMap((r) => r.delivered);
        expectExactlyOnce(delivered, ids);
        expect(held.every((id) => delivered.includes(id))).toBe(true);
        expect(Date.now() - killedAt).toBeGreaterThanOrEqual(lockTtlMs);
        expect(await undelivered(store, queue, ids)).toEqual([]);
      }, 60_000);
    });
  }
}
