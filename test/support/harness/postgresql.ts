import pg from 'pg';
import { createPgDatabase } from '../databases.js';
import { startPgBouncer } from '../pgbouncer.js';
import type { EngineHarness } from './harness.js';

/** The lease the contracts give PostgreSQL daemons, so that a crashed holder's lock frees quickly. */
export const TEST_LEASE_MS = 2000;

/** Runs `sql` on a connection of its own; the rows of its (last) statement. */
async function run(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const result = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
    return (Array.isArray(result) ? result.at(-1)! : result).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

const emptyTablesSql = (tables: string[]) => `TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`;

/** PostgreSQL: a database of its own on the shared test server, dropped afterwards. The holder's witness session ends with it. */
export const postgresHarness: EngineHarness = {
  name: 'postgresql',
  clientClass: pg.Pool,
  crashedLockFreedWithinMs: 2000,
  contractSettings: { instanceLockLeaseMs: TEST_LEASE_MS },
  emptyTablesSql,
  async createDatabase(prefix) {
    const db = await createPgDatabase(prefix);
    return {
      spec: { engine: 'postgresql', location: db.url },
      exec: async (sql) => void (await run(db.url, sql)),
      query: (sql) => run(db.url, sql),
      remove: () => db.drop(),
    };
  },
};

/**
 * PostgreSQL through a PgBouncer in transaction pooling mode with its default settings,
 * started for the database on a free port. The database is created and dropped on the
 * server itself; everything else, migrations included, goes through the pooler, where
 * only the lease tells a dead holder.
 */
export const pgbouncerHarness: EngineHarness = {
  ...postgresHarness,
  crashedLockFreedWithinMs: TEST_LEASE_MS + 2000,
  async createDatabase(prefix) {
    const db = await createPgDatabase(prefix);
    const bouncer = await startPgBouncer(db.url).catch(async (error: unknown) => {
      await db.drop();
      throw error;
    });
    const url = bouncer.through(db.url);
    return {
      spec: { engine: 'postgresql', location: url },
      exec: async (sql) => void (await run(url, sql)),
      query: (sql) => run(url, sql),
      async remove() {
        await bouncer.stop();
        await db.drop();
      },
    };
  },
};
