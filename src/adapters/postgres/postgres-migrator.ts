import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import { ConfigError, MigrationError } from '../../domain/errors.js';
import { openSession, quoteIdent, translatePostgresError, type PostgresOptions, type PostgresSession, type PostgresTransaction, type PostgresExecutor } from './postgres-database.js';
import { POSTGRES_DEFAULTS } from './postgres-config.js';

/** One PostgreSQL migration: SQL text (or code on the migration's client) for each direction. */
export interface PostgresMigration {
  name: string;
  up: string | ((client: pg.ClientBase) => Promise<void>);
  down: string | ((client: pg.ClientBase) => Promise<void>);
  /**
   * For a code `up`: the SQL it runs, with what it decides at run time as a placeholder.
   * Its checksum is taken of this text, since a function's compiled source differs
   * between transpilers (tsx, vitest, tsc).
   */
  sql?: string;
  /**
   * false: `up` runs outside a transaction (as `CREATE INDEX CONCURRENTLY` must), on a
   * direct session of its own holding a session advisory lock on the migration lock's
   * key; the record is written only after `up` completed. A failed `up` may leave work
   * behind (an INVALID index), so such a migration must be re-runnable: a code `up` that
   * drops what a failed attempt left first. SQL text is sent as one query, which
   * PostgreSQL runs as one implicit transaction when it holds several statements, so give
   * one statement or code. Refused when `listen` is false (a transaction-mode pooler,
   * where a session lock means nothing).
   */
  transaction?: false;
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
  const schema = options.schema ?? POSTGRES_DEFAULTS.schema;
  const lockTimeoutMs = options.migrationLockTimeoutMs ?? POSTGRES_DEFAULTS.migrationLockTimeoutMs;

  // One run (`up`, `reset`, ...) works on one connection: each of its steps still takes the
  // migration lock on its own, in a transaction of its own (see `locked`), but does not pay
  // for a new connection. Scoped to the run's async context, so that a `state()` the same
  // process asks for meanwhile never lands inside a step's transaction.
  const run = new AsyncLocalStorage<PostgresSession>();
  const open = () => openSession({ ...options, statementTimeoutMs: 0 }, { application_name: 'teleclaude-migrate' });

  /** `fn` on the run's session, or outside a run on a session of its own; migrations may run long, so no statement timeout. */
  async function withSession<T>(fn: (session: PostgresSession) => Promise<T>): Promise<T> {
    const shared = run.getStore();
    if (shared) {
      try {
        return await fn(shared);
      } catch (error) {
        throw translatePostgresError(error);
      }
    }
    const session = await open();
    try {
      return await fn(session);
    } catch (error) {
      throw translatePostgresError(error);
    } finally {
      await session.end();
    }
  }

  const lockKey = "hashtextextended('teleclaude:migrate:' || current_database() || ':' || $1, 0)";
  const bookkeeping = `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now(),
            checksum text
          )`;

  /**
   * Polls for the migration lock instead of waiting in one statement: a statement waiting
   * holds a snapshot, which a `CREATE INDEX CONCURRENTLY` run by the lock's holder would
   * wait for in turn (a deadlock). Gives up after `migrationLockTimeoutMs`.
   */
  async function acquire(c: PostgresExecutor, what: string): Promise<void> {
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      const { rows } = await c.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${lockKey}) AS got`, [schema]);
      if (rows[0]?.got) return;
      if (Date.now() >= deadline) throw lockBusy(what);
      await pause();
    }
  }

  function lockBusy(what: string): MigrationError {
    return new MigrationError(
      `${what}: another process held the migration lock of schema "${schema}" for more than ${lockTimeoutMs} ms; nothing was changed. Retry when it is free, or raise database.postgresql.migrationLockTimeoutMs`,
    );
  }

  /**
   * A `transaction: false` migration: a session advisory lock on the same key as the
   * transactional migrations' lock (so they exclude each other), then re-check, run, record.
   */
  async function applyOutsideTransaction(migration: PostgresMigration, checksum: string): Promise<boolean> {
    if (options.listen === false) {
      throw new MigrationError(
        `migration ${migration.name} runs outside a transaction and needs a session lock on a direct connection, but database.postgresql.listen is false (a transaction-mode pooler); run \`teleclaude-db migrate\` with a URL of the server itself`,
      );
    }
    const what = `migration ${migration.name}`;
    return withSession(async (session) => {
      await session.query(`SET lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
      await acquire(session, what);
      try {
        await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await session.query(bookkeeping);
        const seen = await session.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
        if (seen.rowCount) return false;
        try {
          await step(session, migration.up);
        } catch (error) {
          throw lockTimedOut(error, `${what}: waited more than ${lockTimeoutMs} ms for a lock another session holds (${(error as Error).message})`);
        }
        await session.query('INSERT INTO schema_migrations (name, applied_at, checksum) VALUES ($1, clock_timestamp(), $2)', [migration.name, checksum]);
        return true;
      } finally {
        // Ending the session releases it too; unlocking first frees waiters without waiting for the close.
        await session.query(`SELECT pg_advisory_unlock(${lockKey})`, [schema]).catch(() => {});
      }
    });
  }

  /** One transaction under the migration lock, with the bookkeeping table in place. */
  async function locked<T>(what: string, fn: (session: PostgresSession, c: PostgresTransaction) => Promise<T>): Promise<T> {
    // The lock is tried, and the transaction ended between tries: an open transaction
    // waiting would keep a snapshot a concurrent `CREATE INDEX CONCURRENTLY` waits for.
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      const result = await lockedOnce(what, fn);
      if (result !== busy) return result as T;
      if (Date.now() >= deadline) throw lockBusy(what);
      await pause();
    }
  }

  function lockedOnce<T>(what: string, fn: (session: PostgresSession, c: PostgresTransaction) => Promise<T>): Promise<T | typeof busy> {
    return withSession((session) =>
      session.transaction(async (c) => {
        await c.query(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
        const { rows } = await c.query<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock(${lockKey}) AS got`, [schema]);
        if (!rows[0]?.got) return busy;
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await c.query(bookkeeping);
        try {
          return await fn(session, c);
        } catch (error) {
          throw lockTimedOut(error, `${what}: waited more than ${lockTimeoutMs} ms for a lock another session holds (${(error as Error).message})`);
        }
      }),
    );
  }

  const driver: MigrationDriver<PostgresMigration> = {
    // Each step locks on its own (see above): a session-long lock would mean nothing through a pooler.
    withLock: async (fn) => {
      const session = await open();
      try {
        return await run.run(session, fn);
      } finally {
        await session.end();
      }
    },
    recorded: () =>
      withSession(async (c) => {
        const exists = await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
          `${quoteIdent(schema)}.schema_migrations`,
        ]);
        if (!exists.rows[0]?.t) return [];
        // Through to_jsonb, a table from before checksums (no such column yet) reads as null.
        const rows = await c.query<{ name: string; applied_at: Date; checksum: string | null }>(
          `SELECT name, applied_at, to_jsonb(m) ->> 'checksum' AS checksum FROM ${quoteIdent(schema)}.schema_migrations m ORDER BY applied_at, name`,
        );
        return rows.rows.map((r): AppliedMigration => ({ name: r.name, appliedAt: r.applied_at, checksum: r.checksum }));
      }),
    apply: (migration, checksum) =>
      migration.transaction === false
        ? applyOutsideTransaction(migration, checksum)
        : locked(`migration ${migration.name}`, async (session, c) => {
        const seen = await c.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
        if (seen.rowCount) return false;
        await step(session, migration.up);
        await c.query('INSERT INTO schema_migrations (name, applied_at, checksum) VALUES ($1, clock_timestamp(), $2)', [migration.name, checksum]);
        return true;
      }),
    recordChecksums: (backfill, accept) =>
      locked('recording migration checksums', async (_session, c) => {
        await c.query(`ALTER TABLE ${quoteIdent(schema)}.schema_migrations ADD COLUMN IF NOT EXISTS checksum text`);
        for (const [name, sum] of backfill) {
          await c.query('UPDATE schema_migrations SET checksum = $2 WHERE name = $1 AND checksum IS NULL', [name, sum]);
        }
        for (const [name, sum] of accept) await c.query('UPDATE schema_migrations SET checksum = $2 WHERE name = $1', [name, sum]);
      }),
    revert: (migration) =>
      locked(`reverting migration ${migration.name}`, async (session, c) => {
        const seen = await c.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
        if (!seen.rowCount) return false;
        await step(session, migration.down);
        await c.query('DELETE FROM schema_migrations WHERE name = $1', [migration.name]);
        return true;
      }),
    dropBookkeeping: () =>
      locked('dropping schema_migrations', async (_session, c) => {
        // Another process may have applied something since this reset looked.
        const left = await c.query('SELECT 1 FROM schema_migrations LIMIT 1');
        if (!left.rowCount) await c.query(`DROP TABLE ${quoteIdent(schema)}.schema_migrations`);
      }),
  };
  const migrator = createMigrator(driver, migrations);
  return {
    ...migrator,
    async assertCurrent() {
      // A daemon that may not migrate would otherwise report every migration as pending.
      const found = await withSession((session) => session.query<{ ns: string | null }>('SELECT to_regnamespace($1)::text AS ns', [schema]));
      if (!found.rows[0]?.ns) {
        throw new ConfigError(
          'database.postgresql.schema',
          `schema "${schema}" does not exist in this database; check the name, or create it with \`teleclaude-db migrate\``,
        );
      }
      return migrator.assertCurrent();
    },
  };
}

const busy = Symbol('migration lock busy');

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
}

/** 55P03 (lock_not_available, from lock_timeout) as a MigrationError saying what waited on what. */
function lockTimedOut(error: unknown, message: string): unknown {
  if ((error as { code?: string }).code !== '55P03') return error;
  return new MigrationError(`${message}; nothing was changed. Retry when it is free, or raise database.postgresql.migrationLockTimeoutMs`, {
    cause: error,
  });
}

/** One direction of a migration, on the migration's session (inside its transaction). */
async function step(session: PostgresSession, work: PostgresMigration['up']): Promise<void> {
  if (typeof work === 'string') await session.query(work);
  else await work(session.client);
}
