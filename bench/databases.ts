import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The server benchmarks use: BENCH_DATABASE_URL, TEST_DATABASE_URL, or the local one. */
export function benchAdminUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

/** Runs one statement on the benchmarks' server, on a connection of its own. */
export async function benchAdminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: benchAdminUrl() });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new PostgreSQL database for one benchmark section; `drop()` removes it. */
export async function benchPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tc_bench_${randomBytes(4).toString('hex')}`;
  await benchAdminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(benchAdminUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => benchAdminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A temp directory with an SQLite path in it; `remove()` deletes it. */
export function benchSqlitePath(): { path: string; dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tc-bench-'));
  return { dir, path: join(dir, 'bench.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The MariaDB server benchmarks use: BENCH_MARIADB_URL, TEST_MARIADB_URL, or the local one. */
export function benchMariadbAdminUrl(): string {
  return process.env.BENCH_MARIADB_URL || process.env.TEST_MARIADB_URL || 'mariadb://root@127.0.0.1:3306/test';
}

/** A new MariaDB database for one benchmark section; `drop()` removes it. */
export async function benchMariadbDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const { createMariadbDatabase } = await import('../src/adapters/mariadb/mariadb-database.js');
  const admin = benchMariadbAdminUrl();
  const name = `tc_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const db = createMariadbDatabase({ url: admin, pool: { max: 1 } });
    try {
      await db.query(sql);
    } finally {
      await db.close();
    }
  };
  await run(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name}`) };
}
