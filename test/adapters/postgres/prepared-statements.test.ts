import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { admin, createPgDatabase } from '../../support/databases.js';

/** The statements prepared on the store's (one) connection, by their text's start. */
async function prepared(store: PostgresStore): Promise<{ name: string; statement: string }[]> {
  const { rows } = await store.database.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements ORDER BY name');
  return rows;
}

describe('PostgreSQL: the repositories\' statements are prepared once per direct connection', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  beforeAll(async () => {
    db = await createPgDatabase('tc_prepared');
    const store = new PostgresStore({ url: db.url }, 'x');
    await store.migrator.up();
    await store.close();
  });
  afterAll(() => db?.drop());

  it('a statement with parameters is prepared under one name on its first run and reused after, in and out of transactions; one without parameters is not', async () => {
    const store = new PostgresStore({ url: db.url, pool: { max: 1 } }, 'x');
    try {
      const session = await store.repositories.sessions.create({ computerName: 'box' });
      await store.repositories.sessions.get(session.id);
      const once = await prepared(store);
      const get = once.find((p) => /^SELECT id, computer_name, .* FROM sessions WHERE id = \$1$/s.test(p.statement));
      expect(get?.name).toMatch(/^tc_\d+$/);
      expect(once.find((p) => /^INSERT INTO sessions /.test(p.statement))?.name).toMatch(/^tc_\d+$/);
      // The same text runs under the same name again, inside a transaction too: nothing new is prepared.
      for (let i = 0; i < 3; i++) await store.repositories.sessions.get(session.id);
      expect(await store.transaction((tx) => tx.sessions.get(session.id))).toEqual(await store.repositories.sessions.get(session.id));
      expect(await prepared(store)).toEqual(once);
      // The listing query above has no parameters: never prepared.
      expect(once.some((p) => p.statement.includes('pg_prepared_statements'))).toBe(false);
      // Planned for each run's values, never a generic plan blind to them.
      expect((await store.database.query<{ mode: string }>("SELECT current_setting('plan_cache_mode') AS mode")).rows[0]!.mode).toBe('force_custom_plan');
    } finally {
      await store.close();
    }
  });

  it('after another process changes the type of a column a prepared statement returns, the statement runs again on a new connection; in a transaction the transaction fails once and the connection is replaced', async () => {
    const store = new PostgresStore({ url: db.url, pool: { max: 1 } }, 'x');
    try {
      const session = await store.repositories.sessions.create({ computerName: 'box', title: 'before' });
      await store.repositories.sessions.get(session.id);
      await admin((c) => c.query('ALTER TABLE sessions ALTER COLUMN title TYPE varchar(500)'), db.url);
      // Out of a transaction: retried on a fresh connection, the caller sees only the row.
      expect((await store.repositories.sessions.get(session.id))?.title).toBe('before');

      await store.transaction((tx) => tx.sessions.get(session.id));
      await admin((c) => c.query('ALTER TABLE sessions ALTER COLUMN title TYPE text'), db.url);
      await expect(store.transaction((tx) => tx.sessions.get(session.id))).rejects.toThrow(/cached plan must not change result type/);
      // The connection with the stale statement is gone: the next transaction and statement run.
      expect((await store.transaction((tx) => tx.sessions.get(session.id)))?.title).toBe('before');
      expect((await store.repositories.sessions.update(session.id, { title: 'after' })).title).toBe('after');
    } finally {
      await store.close();
    }
  });
});
