import pg from 'pg';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import { MigrationError } from '../../domain/errors.js';
import { clientConfig, quoteIdent, translatePostgresError, type PostgresOptions } from './postgres-database.js';
import { beginSql } from './postgres-session-settings.js';

/** One PostgreSQL migration: SQL text (or code on the migration's client) for each direction. */
export interface PostgresMigration {
  name: string;
  up: string | ((client: pg.ClientBase) => Promise<void>);
  down: string | ((client: pg.ClientBase) => Promise<void>);
}

/**
 * PostgreSQL migrations, safe through a transaction-mode pooler: nothing is held across
 * transactions. Each migration runs in one transaction that first takes a
 * transaction-scoped advisory lock keyed on the database and schema, then re-checks the
 * migration's record, applies it and records it (DDL is transactional in PostgreSQL).
 * Concurrent starts therefore apply each migration once and in order. `lock_timeout`
 * (`migrationLockTimeoutMs`) bounds every lock wait, so a migration stuck behind a busy
 * table or another migrating process fails with a message saying so instead of wedging
 * every daemon that starts.
 */
export function createPostgresMigrator(options: PostgresOptions, migrations: readonly PostgresMigration[]): Migrator {
  const schema = options.schema ?? 'public';
  const lockTimeoutMs = options.migrationLockTimeoutMs ?? 10_000;
  const begin = `${beginSql({ schema, statementTimeoutMs: 0 })}; SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`;

  async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ ...clientConfig(options), application_name: 'teleclaude-migrate' });
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

  /** One transaction under the migration lock, with the bookkeeping table in place. */
  function locked<T>(what: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    return withClient((c) =>
      inTransaction(c, begin, async () => {
        const key = "hashtextextended('teleclaude:migrate:' || current_database() || ':' || $1, 0)";
        await c.query(`SELECT pg_advisory_xact_lock(${key})`, [schema]).catch((error: unknown) => {
          throw lockTimedOut(error, `${what}: another process held the migration lock of schema "${schema}" for more than ${lockTimeoutMs} ms`);
        });
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await c.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
          )`);
        try {
          return await fn(c);
        } catch (error) {
          throw lockTimedOut(error, `${what}: waited more than ${lockTimeoutMs} ms for a lock another session holds (${(error as Error).message})`);
        }
      }),
    );
  }

  const driver: MigrationDriver<PostgresMigration> = {
    // Each step locks on its own (see above): a session-long lock would mean nothing through a pooler.
    withLock: (fn) => fn(),
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
      locked(`migration ${migration.name}`, async (c) => {
        const seen = await c.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
        if (seen.rowCount) return false;
        await step(c, migration.up);
        await c.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, clock_timestamp())', [migration.name]);
        return true;
      }),
    revert: (migration) =>
      locked(`reverting migration ${migration.name}`, async (c) => {
        const seen = await c.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
        if (!seen.rowCount) return false;
        await step(c, migration.down);
        await c.query('DELETE FROM schema_migrations WHERE name = $1', [migration.name]);
        return true;
      }),
    dropBookkeeping: () =>
      locked('dropping schema_migrations', async (c) => {
        // Another process may have applied something since this reset looked.
        const left = await c.query('SELECT 1 FROM schema_migrations LIMIT 1');
        if (!left.rowCount) await c.query(`DROP TABLE ${quoteIdent(schema)}.schema_migrations`);
      }),
  };
  return createMigrator(driver, migrations);
}

/** 55P03 (lock_not_available, from lock_timeout) as a MigrationError saying what waited on what. */
function lockTimedOut(error: unknown, message: string): unknown {
  if ((error as { code?: string }).code !== '55P03') return error;
  return new MigrationError(`${message}; nothing was changed. Retry when it is free, or raise database.postgresql.migrationLockTimeoutMs`, {
    cause: error,
  });
}

async function inTransaction<T>(client: pg.Client, begin: string, fn: () => Promise<T>): Promise<T> {
  await client.query(begin);
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
