import pg from 'pg';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import { openSession, quoteIdent, translatePostgresError, type PostgresOptions, type PostgresSession } from './postgres-database.js';

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
  let locked: PostgresSession | null = null;

  /** `fn` on the session that holds the migration lock, or on a session of its own. */
  async function withSession<T>(fn: (session: PostgresSession) => Promise<T>): Promise<T> {
    if (locked) return fn(locked);
    const session = await openSession(options, { application_name: 'teleclaude-migrate', statement_timeout: 0 });
    try {
      return await fn(session);
    } catch (error) {
      throw translatePostgresError(error);
    } finally {
      await session.end();
    }
  }

  const driver: MigrationDriver<PostgresMigration> = {
    withLock: (fn) =>
      withSession(async (session) => {
        const key = "hashtextextended('teleclaude:migrate:' || current_database() || ':' || $1, 0)";
        await session.query(`SELECT pg_advisory_lock(${key})`, [schema]);
        locked = session;
        try {
          await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
          await session.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
          )`);
          return await fn();
        } finally {
          locked = null;
          await session.query(`SELECT pg_advisory_unlock(${key})`, [schema]).catch(() => {});
        }
      }),
    recorded: () =>
      withSession(async (session) => {
        const exists = await session.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
          `${quoteIdent(schema)}.schema_migrations`,
        ]);
        if (!exists.rows[0]?.t) return [];
        const rows = await session.query<{ name: string; applied_at: Date }>(
          `SELECT name, applied_at FROM ${quoteIdent(schema)}.schema_migrations ORDER BY applied_at, name`,
        );
        return rows.rows.map((r): AppliedMigration => ({ name: r.name, appliedAt: r.applied_at }));
      }),
    apply: (migration) =>
      withSession((session) =>
        session.transaction(async (tx) => {
          const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
          if (seen.rowCount) return false;
          await step(session, migration.up);
          await tx.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, clock_timestamp())', [migration.name]);
          return true;
        }),
      ),
    revert: (migration) =>
      withSession((session) =>
        session.transaction(async (tx) => {
          const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
          if (!seen.rowCount) return false;
          await step(session, migration.down);
          await tx.query('DELETE FROM schema_migrations WHERE name = $1', [migration.name]);
          return true;
        }),
      ),
    dropBookkeeping: () =>
      withSession(async (session) => void (await session.query(`DROP TABLE IF EXISTS ${quoteIdent(schema)}.schema_migrations`))),
  };
  return createMigrator(driver, migrations);
}

/** One direction of a migration, on the migration's session (inside its transaction). */
async function step(session: PostgresSession, work: PostgresMigration['up']): Promise<void> {
  if (typeof work === 'string') await session.query(work);
  else await work(session.client);
}
