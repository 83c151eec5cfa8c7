import { AsyncLocalStorage } from 'node:async_hooks';
import { MigrationError } from '../../domain/errors.js';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import { MARIADB_DEFAULTS } from './mariadb-config.js';
import { openMariadbSession, translateMariadbError, type MariadbExecutor, type MariadbOptions, type MariadbSession } from './mariadb-database.js';

/**
 * One MariaDB migration: SQL text, or code on the migration's session, for each direction.
 * SQL text holds one or more statements, each ending with `;` at the end of a line (and
 * no line inside a statement ending so); they run one by one.
 */
export interface MariadbMigration {
  name: string;
  up: string | ((db: MariadbExecutor) => Promise<void>);
  down: string | ((db: MariadbExecutor) => Promise<void>);
  /** For a code `up`: the SQL it runs, of which its checksum is taken (see the PostgreSQL twin). */
  sql?: string;
}

/** The statements of a migration's SQL text, in order, without their `;`. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/** Statements that change nothing, so a failure after only these leaves the database as it was. */
const READ_ONLY = /^\s*(?:SELECT|SHOW|DESCRIBE|DESC|EXPLAIN|WITH)\b/i;

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name VARCHAR(255) NOT NULL PRIMARY KEY,
  applied_at DATETIME(3) NOT NULL,
  checksum CHAR(64) NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'applied' CHECK (state IN ('applying', 'applied', 'reverting')),
  statements_done INT NOT NULL DEFAULT 0,
  failure LONGTEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`;

/** The GET_LOCK name of the migration lock of the session's current database (at most 64 characters). */
const LOCK_NAME = "CONCAT('tc_migrate_', SHA1(DATABASE()))";

/**
 * MariaDB migrations. MariaDB commits every DDL statement on its own (no transactional
 * DDL), so a migration cannot commit together with its record. The guarantee instead:
 *
 * - Concurrent migrators are serialised by `GET_LOCK` on a name derived from the
 *   database, held on the migrating session for the whole `up`/`down`/`reset`; each
 *   migration's record is re-checked under it, so each migration is applied once.
 * - Before a migration's first statement, its record is written as `applying`; after each
 *   statement that changes something, the count of statements done; after the last,
 *   `applied`. A migration is recorded as applied only when every statement of it ran.
 * - When a statement fails and an earlier one of the same migration had changed
 *   something (or the process died in between), the record stays `applying` with the
 *   error, and every later `state`, `up`, `down`, `plan` and `assertCurrent` (so every
 *   `openStore` and `teleclaude-db` command) refuses the database with a MigrationError
 *   naming the migration, how far it got and what failed, until an operator repairs the
 *   schema and removes the record. A failure in a migration's first changing statement
 *   leaves nothing behind (a single statement is atomic, DDL included, since MariaDB
 *   10.6), so its record is removed and the migration stays pending.
 * - `down` is guarded the same way (`reverting`).
 */
export function createMariadbMigrator(options: MariadbOptions, migrations: readonly MariadbMigration[]): Migrator {
  const lockTimeoutMs = options.migrationLockTimeoutMs ?? MARIADB_DEFAULTS.migrationLockTimeoutMs;
  const locked = new AsyncLocalStorage<MariadbSession>();

  /** `fn` on the session holding the migration lock, or on a new session of its own; migrations may run long, so no statement timeout. */
  async function withSession<T>(fn: (session: MariadbSession) => Promise<T>): Promise<T> {
    const held = locked.getStore();
    if (held) return fn(held);
    const session = await openMariadbSession(options, { statementTimeoutMs: 0 });
    try {
      return await fn(session);
    } finally {
      await session.end();
    }
  }

  async function hasBookkeeping(session: MariadbSession): Promise<boolean> {
    const { rows } = await session.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'",
    );
    return rows.length > 0;
  }

  /**
   * A migration left half-done by an earlier run, as the error that refuses the database.
   */
  function unfinished(row: { name: string; state: string; statements_done: number; failure: string | null }): MigrationError {
    const doing = row.state === 'reverting' ? 'reverting' : 'applying';
    return new MigrationError(
      `migration ${row.name} is half-done: ${doing} it stopped after ${row.statements_done} recorded statement(s) that changed the schema` +
        `${row.failure ? `, failing with: ${row.failure}` : ' (the process ended before it finished)'}. ` +
        'MariaDB commits schema changes statement by statement, so the database holds part of it; nothing will use or migrate it until it is repaired: ' +
        `finish or undo the rest of ${row.name} by hand, then run DELETE FROM schema_migrations WHERE name = '${row.name}'` +
        (row.state === 'reverting' ? ' (if undone) or UPDATE schema_migrations SET state = \'applied\' (if restored)' : ' (if undone) or UPDATE schema_migrations SET state = \'applied\' (if finished)') +
        ', or restore the database from a backup',
    );
  }

  /**
   * Runs one direction's work on `session`, counting the statements that change
   * something into the record's `statements_done` as they complete. Resolves the count.
   */
  async function runCounted(session: MariadbSession, name: string, work: MariadbMigration['up']): Promise<number> {
    let done = 0;
    const count = async (sql: string) => {
      if (READ_ONLY.test(sql)) return;
      done++;
      await session.query('UPDATE schema_migrations SET statements_done = ? WHERE name = ?', [done, name]);
    };
    const counting: MariadbExecutor = {
      async query<R>(sql: string, params?: unknown[]) {
        const result = await session.query<R>(sql, params);
        await count(sql);
        return result;
      },
      async queryArrays(sql: string, params?: unknown[]) {
        const rows = await session.queryArrays(sql, params);
        await count(sql);
        return rows;
      },
      atomic: (fn) => session.transaction(fn),
    };
    try {
      if (typeof work === 'string') {
        for (const statement of splitStatements(work)) await counting.query(statement);
      } else {
        await work(counting);
      }
    } catch (error) {
      throw Object.assign(translateMariadbError(error) as object, { statementsDone: done });
    }
    return done;
  }

  /** Records `error` as the failure of `name`'s unfinished step, or forgets the attempt when nothing had changed. */
  async function settleFailure(
    session: MariadbSession,
    name: string,
    state: 'applying' | 'reverting',
    error: unknown,
    whenClean: () => Promise<unknown>,
  ): Promise<never> {
    const done = (error as { statementsDone?: number }).statementsDone ?? 0;
    const message = error instanceof Error ? error.message : String(error);
    if (done === 0) {
      // Should this fail too (the connection is gone), the record stays and the next run reports it.
      await whenClean().catch(() => {});
      throw error;
    }
    await session.query('UPDATE schema_migrations SET failure = ? WHERE name = ?', [message, name]).catch(() => {});
    const row = { name, state, statements_done: done, failure: message };
    const refusal = unfinished(row);
    throw new MigrationError(refusal.message, { cause: error });
  }

  const driver: MigrationDriver<MariadbMigration> = {
    async withLock(fn) {
      const session = await openMariadbSession(options, { statementTimeoutMs: 0 });
      try {
        // Metadata locks of the DDL wait at most as long as the migration lock does.
        await session.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(lockTimeoutMs / 1000))}`);
        const { rows } = await session.query<{ got: number | null }>(`SELECT GET_LOCK(${LOCK_NAME}, ?) AS got`, [lockTimeoutMs / 1000]);
        if (rows[0]?.got !== 1) {
          throw new MigrationError(
            `another process held the migration lock of this database for more than ${lockTimeoutMs} ms; nothing was changed. Retry when it is free, or raise database.mariadb.migrationLockTimeoutMs`,
          );
        }
        try {
          await session.query(BOOKKEEPING);
          return await locked.run(session, fn);
        } finally {
          await session.query(`SELECT RELEASE_LOCK(${LOCK_NAME})`).catch(() => {});
        }
      } finally {
        await session.end();
      }
    },
    recorded: () =>
      withSession(async (session) => {
        if (!(await hasBookkeeping(session))) return [];
        const { rows } = await session.query<{ name: string; applied_at: Date; checksum: string | null; state: string; statements_done: number; failure: string | null }>(
          'SELECT name, applied_at, checksum, state, statements_done, failure FROM schema_migrations ORDER BY applied_at, name',
        );
        const broken = rows.find((r) => r.state !== 'applied');
        if (broken) throw unfinished(broken);
        return rows.map((r): AppliedMigration => ({ name: r.name, appliedAt: r.applied_at, checksum: r.checksum }));
      }),
    apply: (migration, checksum) =>
      withSession(async (session) => {
        const seen = await session.query<{ state: string }>('SELECT state FROM schema_migrations WHERE name = ?', [migration.name]);
        if (seen.rows.length > 0) return false;
        await session.query("INSERT INTO schema_migrations (name, applied_at, checksum, state) VALUES (?, NOW(3), ?, 'applying')", [migration.name, checksum]);
        try {
          await runCounted(session, migration.name, migration.up);
        } catch (error) {
          return settleFailure(session, migration.name, 'applying', error, () => session.query('DELETE FROM schema_migrations WHERE name = ?', [migration.name]));
        }
        await session.query("UPDATE schema_migrations SET state = 'applied', applied_at = NOW(3), failure = NULL WHERE name = ?", [migration.name]);
        return true;
      }),
    recordChecksums: (backfill, accept) =>
      withSession((session) =>
        session.transaction(async (tx) => {
          for (const [name, sum] of backfill) await tx.query('UPDATE schema_migrations SET checksum = ? WHERE name = ? AND checksum IS NULL', [sum, name]);
          for (const [name, sum] of accept) await tx.query('UPDATE schema_migrations SET checksum = ? WHERE name = ?', [sum, name]);
        }),
      ),
    revert: (migration) =>
      withSession(async (session) => {
        const seen = await session.query('SELECT 1 FROM schema_migrations WHERE name = ?', [migration.name]);
        if (seen.rows.length === 0) return false;
        await session.query("UPDATE schema_migrations SET state = 'reverting', statements_done = 0 WHERE name = ?", [migration.name]);
        try {
          await runCounted(session, migration.name, migration.down);
        } catch (error) {
          return settleFailure(session, migration.name, 'reverting', error, () =>
            session.query("UPDATE schema_migrations SET state = 'applied' WHERE name = ?", [migration.name]),
          );
        }
        await session.query('DELETE FROM schema_migrations WHERE name = ?', [migration.name]);
        return true;
      }),
    dropBookkeeping: () =>
      withSession(async (session) => {
        const left = await session.query('SELECT 1 FROM schema_migrations LIMIT 1');
        if (left.rows.length === 0) await session.query('DROP TABLE schema_migrations');
      }),
  };
  return createMigrator(driver, migrations);
}
