import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, translatePostgresError } from '../../../src/adapters/postgres/postgres-database.js';
import { UnavailableError } from '../../../src/domain/errors.js';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { createPgDatabase } from '../../support/databases.js';

describe('PostgreSQL pool setup', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  beforeAll(async () => {
    db = await createPgDatabase('tc_pool');
  });
  afterAll(() => db?.drop());

  it('parses int8 as a number and sets application_name and statement_timeout', async () => {
    const database = createDatabase({ url: db.url, statementTimeoutMs: 1234, applicationName: 'tc-test' });
    const { rows } = await database.query<{ n: number; app: string; timeout: string }>(
      "SELECT 9007199254740991::bigint AS n, current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
    );
    expect(rows[0]).toEqual({ n: 9007199254740991, app: 'tc-test', timeout: '1234ms' });
    await database.close();
  });

  it('a statement over the timeout fails with TC_UNAVAILABLE', async () => {
    const database = createDatabase({ url: db.url, statementTimeoutMs: 100 });
    await expect(database.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: 'TC_UNAVAILABLE', message: /timed out/ });
    await database.close();
  });

  it('uses the configured schema, creating it when migrating', async () => {
    const store = new PostgresStore({ url: db.url, schema: 'tenant_a' }, 'x');
    await store.migrator.up();
    await store.repositories.settings.set('k', 'v');
    const { rows } = await store.database.query<{ n: number }>('SELECT count(*) AS n FROM tenant_a.system_settings');
    expect(rows[0]!.n).toBe(1);
    const other = new PostgresStore({ url: db.url, schema: 'tenant_b' }, 'x');
    expect((await other.migrator.state()).applied).toEqual([]);
    await other.close();
    await store.close();
  });

  it('an unreachable server fails with TC_UNAVAILABLE within the connect timeout', async () => {
    const database = createDatabase({ url: 'postgresql://postgres@127.0.0.1:1/x', connectTimeoutMs: 500 });
    await expect(database.query('SELECT 1')).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    await database.close();
  });

  it('store.repositories inside store.transaction with a one-connection pool and no connect timeout is a TypeError, not a wait for the slot the transaction holds', async () => {
    const store = new PostgresStore({ url: db.url, pool: { max: 1 }, connectTimeoutMs: 0 }, 'x');
    try {
      await store.migrator.up();
      const outcome = await store.transaction(async (tx) => {
        await tx.settings.set('one-slot', 'v');
        const misuse = store.repositories.settings.get('one-slot').then(
          () => 'answered',
          (error: unknown) => error,
        );
        const timeout = new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000).unref());
        return Promise.race([misuse, timeout]);
      });
      expect(outcome).toBeInstanceOf(TypeError);
      expect(await store.repositories.settings.get('one-slot')).toBe('v');
    } finally {
      await store.close();
    }
  });

  it("a client checked out of the pool still has an 'error' listener (pg-pool removes its own at checkout)", async () => {
    const database = createDatabase({ url: db.url });
    try {
      const client = await database.pool.connect();
      expect(client.listenerCount('error')).toBeGreaterThanOrEqual(1);
      // What pg does when the socket dies mid-query; without a listener this throws.
      expect(() => client.emit('error', new Error('Connection terminated unexpectedly'))).not.toThrow();
      client.release(true);
      expect((await database.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await database.close();
    }
  });

  it('an error already translated passes through translation unchanged (no "unavailable: unavailable:")', () => {
    const translated = new UnavailableError('database unavailable: Connection terminated unexpectedly');
    expect(translatePostgresError(translated)).toBe(translated);
  });

  it('close ends the pool', async () => {
    const store = new PostgresStore({ url: db.url }, 'x');
    await store.database.query('SELECT 1');
    await store.close();
    expect(store.database.pool.ended).toBe(true);
  });
});
