import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { systemClock } from '../../../src/ports/clock.js';
import { createSqlitePath } from '../../support/databases.js';

/**
 * Another process that holds the SQLite write lock for `ms`, enqueues a hook event with id 1000
 * in that transaction, then commits. Resolves once it holds the lock.
 */
function holdWriteLock(path: string, ms: number): Promise<{ done: Promise<number | null> }> {
  const code = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO hook_outbox (id, session_id, event_type, created_at, next_attempt_at) VALUES (1000, 's', 'held', 0, 0)").run();
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});
    db.exec('COMMIT');
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve) => child.stdout.once('data', () => resolve({ done })));
}

describe('SQLite claims across processes', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function store(busyTimeoutMs?: number): Promise<SqliteStore> {
    const file = createSqlitePath();
    const s = new SqliteStore({ path: file.path, busyTimeoutMs }, systemClock);
    await s.migrator.up();
    cleanup.push(() => file.remove(), () => s.close());
    return s;
  }

  it('the connection has a busy_timeout (default 5 s), so a claim waits for another process instead of failing', async () => {
    const s = await store();
    expect(s.database.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const id = await s.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
    const holder = await holdWriteLock(s.location, 400);
    const claimed = await s.repositories.hookOutbox.claimBatch({ limit: 5 });
    // The claim saw the other process's committed row: it waited for the lock instead of failing.
    expect(claimed.map((e) => e.id)).toEqual([1000, id]);
    expect(await holder.done).toBe(0);
  });

  it('guarded transitions that waited for the lock run once, with their own parameters', async () => {
    const s = await store();
    await s.repositories.webhooks.upsertContract({ id: 'c', contract: {} });
    await s.repositories.webhooks.enqueue({ contractId: 'c', event: {}, targetUrl: 'http://localhost/hook' });
    const [delivery] = await s.repositories.webhooks.claimBatch({ limit: 1 });
    const inbound = (await s.repositories.inboundQueue.enqueue({ sessionId: 's', origin: 'telegram', messageType: 'text' }))!;
    const message = (await s.repositories.inboundQueue.claim(inbound))!;
    const holder = await holdWriteLock(s.location, 300);
    await Promise.all([
      s.repositories.webhooks.markDelivered(delivery!.id, delivery!.claimToken),
      s.repositories.inboundQueue.markDelivered(message.id, message.claimToken),
    ]);
    expect((await s.repositories.webhooks.getDelivery(delivery!.id))!.status).toBe('delivered');
    expect((await s.repositories.inboundQueue.get(inbound))!.status).toBe('delivered');
    expect(await holder.done).toBe(0);
  });

  it('a lock held longer than busy_timeout surfaces as UnavailableError, never as a raw SQLITE_BUSY', async () => {
    const s = await store(50);
    await s.repositories.webhooks.upsertContract({ id: 'c', contract: {} });
    const holder = await holdWriteLock(s.location, 600);
    await expect(s.repositories.webhooks.claimBatch({ limit: 5 })).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    await holder.done;
    expect(await s.repositories.webhooks.claimBatch({ limit: 5 })).toEqual([]);
  });
});
