import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createMariadbDatabase, type MariadbDatabase } from '../../src/adapters/mariadb/mariadb-database.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';

/** The admin URL of the test server; throws (failing the test) with instructions when there is none. */
export function pgAdminUrl(): string {
  const url = inject('pgAdminUrl');
  if (!url) throw new Error(inject('pgUnavailable') || 'no PostgreSQL server for the tests (set TEST_DATABASE_URL)');
  return url;
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** `fn` on a client of its own, connected to `url` (default: the test server's admin database). */
export async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = pgAdminUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database of its own; `drop()` removes it (forcing out connections). */
export async function createPgDatabase(prefix = 'tc_test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(pgAdminUrl(), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * For one test file: a migrated PostgresStore on a database of its own, created before
 * the file's tests and closed and dropped after them. Read `store` inside tests only.
 */
export function migratedPgStoreForFile(prefix: string): { readonly store: PostgresStore } {
  let db: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
  let store: PostgresStore | undefined;
  beforeAll(async () => {
    db = await createPgDatabase(prefix);
    store = new PostgresStore({ url: db.url }, 'x');
    await store.migrator.up();
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });
  return {
    get store() {
      if (!store) throw new Error('the store exists only while the tests of the file run');
      return store;
    },
  };
}

/** A new temporary directory with a path for an SQLite file in it; `remove()` deletes it. */
export function createSqlitePath(): { path: string; dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tc-sqlite-'));
  return { dir, path: join(dir, 'teleclaude.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The admin URL of the MariaDB server for tests: TEST_MARIADB_URL, else the local server
 * on 127.0.0.1:3306 as root (what `.ci/run` starts).
 */
export function mariadbAdminUrl(): string {
  return process.env.TEST_MARIADB_URL || 'mariadb://root@127.0.0.1:3306/test';
}

/** `fn` on a MariaDB admin pool of its own (one connection), closed afterwards. */
export async function mariadbAdmin<T>(fn: (db: MariadbDatabase) => Promise<T>): Promise<T> {
  const db = createMariadbDatabase({ url: mariadbAdminUrl(), pool: { max: 1 } });
  try {
    return await fn(db);
  } catch (error) {
    if ((error as { code?: string }).code === 'TC_UNAVAILABLE') {
      throw new Error(`no MariaDB server for the tests at ${mariadbAdminUrl()} (start one, or set TEST_MARIADB_URL): ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    await db.close();
  }
}

/** A new, empty MariaDB database of its own (utf8mb4, code-point collation); `drop()` removes it. */
export async function createMariadbTestDatabase(prefix = 'tc_test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await mariadbAdmin((db) => db.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`));
  const url = new URL(mariadbAdminUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => mariadbAdmin((db) => db.query(`DROP DATABASE IF EXISTS ${name}`)).then(() => undefined),
  };
}
