import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { createStore } from '../../../src/container.js';
import { admin, createPgDatabase } from '../../support/databases.js';

describe('PostgreSQL waitForWork without LISTEN (as behind a transaction pooler)', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    db = await createPgDatabase('tc_notifier');
    const migrating = new PostgresStore({ url: db.url }, 'x');
    await migrating.migrator.up();
    await migrating.close();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
  });

  it('still wakes by polling when another store enqueues', async () => {
    const waiter = new PostgresStore({ url: db.url, listen: false }, 'waiter');
    const other = new PostgresStore({ url: db.url }, 'other');
    stores.push(waiter, other);
    const started = performance.now();
    const waiting = waiter.waitForWork({ timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'x' });
    expect(await waiting).toBe(true);
    const took = performance.now() - started;
    console.log(`waitForWork by polling woke after ${took.toFixed(1)} ms`);
    expect(took).toBeLessThan(1_000);
    const listeners = await other.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'teleclaude-listen'",
    );
    expect(Number(listeners.rows[0]!.n)).toBe(0);
  });

  it('with LISTEN, one dedicated listening connection serves the waits', async () => {
    const waiter = new PostgresStore({ url: db.url }, 'waiter');
    stores.push(waiter);
    expect(await waiter.waitForWork({ timeoutMs: 5_000 })).toBe(true); // a row is ready: resolves at once, however busy the machine
    const listeners = await waiter.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'teleclaude-listen'",
    );
    expect(Number(listeners.rows[0]!.n)).toBe(1);
  });

  it('listen: false in the config reaches the store: it polls, and opens no listening connection (true: it opens one)', async () => {
    const listening = async () =>
      Number(
        await admin(async (c) => {
          const { rows } = await c.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'teleclaude-listen'",
            [db.name],
          );
          return rows[0]!.n;
        }),
      );
    const config = (listen: boolean) => resolveConfig({ env: { DATABASE_URL: db.url }, overrides: { postgresql: { listen } } }).database;
    const before = await listening();
    const polling = createStore(config(false));
    stores.push(polling as unknown as PostgresStore);
    await polling.waitForWork({ timeoutMs: 300 });
    expect(await listening()).toBe(before);
    const listener = createStore(config(true));
    stores.push(listener as unknown as PostgresStore);
    await listener.waitForWork({ timeoutMs: 300 });
    expect(await listening()).toBe(before + 1);
  });
});
