import pg from 'pg';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import { clientConfig, quoteIdent, translatePostgresError, type PostgresOptions } from './postgres-database.js';

/** One PostgreSQL migration: SQL text (or code on the migration's client) for each direction. */
export interface PostgresMigration {
  name: string;
  up: string | ((client: pg.ClientBase) => Promise<void>);
  down: string | ((client: pg.ClientBase) => Promise<void>);
}

/**
 * PostgreSQL migrations. A dedicated connection takes a session advisory lock keyed on
 * the database and schema for the whole run, so concurrent starts queue and the ones
 * that waited find nothing pending. Each migration runs in BEGIN ... COMMIT together
 * with its record (DDL is transactional in PostgreSQL).
 */
export function createPostgresMigrator(options: PostgresOptions, migrations: readonly PostgresMigration[]): Migrator {
  const schema = options.schema ?? 'public';
  let client: pg.Client | null = null;

  async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    if (client) return fn(client);
    const c = new pg.Client({ ...clientConfig(options), application_name: 'teleclaude-migrate', statement_timeout: 0 });
    c.on('error', () => {
      // Reported through the failing query; the client is discarded below.
    });
    try {
      await c.connect();
    } catch (error) {
      throw translatePostgresError(error);
    }
    try {
      return await fn(c);
    } catch (error) {
      throw translatePostgresError(error);
    } finally {
      await c.end().catch(() => {});
    }
  }

  const driver: MigrationDriver<PostgresMigration> = {
    withLock: (fn) =>
      withClient(async (c) => {
        const key = "hashtextextended('teleclaude:migrate:' || current_database() || ':' || $1, 0)";
        await c.query(`SELECT pg_advisory_lock(${key})`, [schema]);
        client = c;
        try {
          await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
          await c.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
          )`);
          return await fn();
        } finally {
          client = null;
          await c.query(`SELECT pg_advisory_unlock(${key})`, [schema]).catch(() => {});
        }
      }),
    recorded: () =>
      withClient(async (c) => {
        const exists = await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
          `${quoteIdent(schema)}.schema_migrations`,
        ]);
        if (!exists.rows[0]?.t) return [];
        const rows = await c.query<{ name: string; applied_at: Date }>(
          `SELECT name, applied_at FROM ${quoteIdent(schema)}.schema_migrations ORDER BY applied_at, name`,
        );
        return rows.rows.map((r): AppliedMigration => ({ name: r.name, appliedAt: r.applied_at }));
      }),
    apply: (migration) =>
      withClient((c) =>
        inTransaction(c, async () => {
          const seen = await c.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
          if (seen.rowCount) return false;
          await step(c, migration.up);
          await c.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, clock_timestamp())', [migration.name]);
          return true;
        }),
      ),
    revert: (migration) =>
      withClient((c) =>
        inTransaction(c, async () => {
          const seen = await c.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
          if (!seen.rowCount) return false;
          await step(c, migration.down);
          await c.query('DELETE FROM schema_migrations WHERE name = $1', [migration.name]);
          return true;
        }),
      ),
    dropBookkeeping: () => withClient(async (c) => void (await c.query(`DROP TABLE IF EXISTS ${quoteIdent(schema)}.schema_migrations`))),
  };
  return createMigrator(driver, migrations);
}

async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

async function step(client: pg.Client, work: PostgresMigration['up']): Promise<void> {
  if (typeof work === 'string') await client.query(work);
  else await work(client);
}
