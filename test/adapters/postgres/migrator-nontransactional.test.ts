import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresMigrator, type PostgresMigration } from '../../../src/adapters/postgres/postgres-migrator.js';
import { createPgDatabase } from '../../support/databases.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A test-only set: a table with rows, then an index built concurrently (outside any transaction). */
const set: PostgresMigration[] = [
  {
    name: '901_items',
    up: 'CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 20000) g;',
    down: 'DROP TABLE items',
  },
  {
    name: '902_items_label_index',
    transaction: false,
    // A failed earlier attempt leaves an INVALID index behind: drop it before building.
    async up(client) {
      await client.query('DROP INDEX CONCURRENTLY IF EXISTS idx_items_label');
      await client.query('CREATE INDEX CONCURRENTLY idx_items_label ON items (label)');
    },
    sql: 'DROP INDEX CONCURRENTLY IF EXISTS idx_items_label; CREATE INDEX CONCURRENTLY idx_items_label ON items (label)',
    down: 'DROP INDEX idx_items_label',
  },
];

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL migrations with transaction: false', () => {
  it('ten migrators at once build an index concurrently, recorded exactly once, the index valid', async () => {
    const db = await createPgDatabase('tc_migr_cic');
    cleanups.push(db.drop);
    const migrators = Array.from({ length: 10 }, () => createPostgresMigrator({ url: db.url, migrationLockTimeoutMs: 60_000 }, set));
    const results = await Promise.all(migrators.map((m) => m.up()));
    const applied = results.flat();
    expect(applied.filter((n) => n === '902_items_label_index')).toHaveLength(1);
    expect(applied.filter((n) => n === '901_items')).toHaveLength(1);
    const recorded = await query<{ name: string; checksum: string }>(db.url, 'SELECT name, checksum FROM schema_migrations ORDER BY name');
    expect(recorded.map((r) => r.name)).toEqual(['901_items', '902_items_label_index']);
    expect(recorded.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
    const index = await query<{ valid: boolean }>(
      db.url,
      "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx_items_label'",
    );
    expect(index).toEqual([{ valid: true }]);
    await expect(migrators[3]!.assertCurrent()).resolves.toBeUndefined();
  }, 120_000);

  it('a CONCURRENTLY statement given as transactional SQL fails (the test above really ran outside a transaction)', async () => {
    const db = await createPgDatabase('tc_migr_cic');
    cleanups.push(db.drop);
    const inTransaction: PostgresMigration[] = [set[0]!, { ...set[1]!, transaction: undefined }];
    await expect(createPostgresMigrator({ url: db.url }, inTransaction).up()).rejects.toMatchObject({
      code: 'TC_MIGRATION',
      message: /cannot run inside a transaction block/,
    });
    const recorded = await query<{ name: string }>(db.url, 'SELECT name FROM schema_migrations');
    expect(recorded.map((r) => r.name)).toEqual(['901_items']);
  }, 60_000);

  it('is refused, recording nothing, when listen is false (a transaction-mode pooler)', async () => {
    const db = await createPgDatabase('tc_migr_cic');
    cleanups.push(db.drop);
    const migrator = createPostgresMigrator({ url: db.url, listen: false }, set);
    await expect(migrator.up()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /902_items_label_index runs outside a transaction.*pooler/ });
    expect((await migrator.state()).applied.map((a) => a.name)).toEqual(['901_items']);
    const index = await query(db.url, "SELECT 1 FROM pg_class WHERE relname = 'idx_items_label'");
    expect(index).toEqual([]);
  }, 60_000);
});
