import { MigrationError } from '../../domain/errors.js';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import type { SqliteDatabase, SqliteDb } from './sqlite-database.js';

/** One SQLite migration: SQL text (or synchronous code) for each direction. */
export interface SqliteMigration {
  name: string;
  up: string | ((db: SqliteDb) => void);
  down: string | ((db: SqliteDb) => void);
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name TEXT PRIMARY KEY NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/**
 * SQLite migrations. The migration lock is the write lock itself: each migration runs
 * inside BEGIN IMMEDIATE, re-checks its record under that lock and commits with it, so
 * concurrent processes apply each migration exactly once.
 */
export function createSqliteMigrator(database: SqliteDatabase, migrations: readonly SqliteMigration[]): Migrator {
  const driver: MigrationDriver<SqliteMigration> = {
    async withLock(fn) {
      await database.run((db) => {
        refuseLegacy(db);
        db.exec(CREATE_TABLE);
      });
      return fn();
    },
    recorded: () =>
      database.run((db) => {
        if (!hasTable(db, 'schema_migrations')) return [];
        refuseLegacy(db);
        return (db.prepare('SELECT name, applied_at FROM schema_migrations ORDER BY applied_at, name').all() as {
          name: string;
          applied_at: number;
        }[]).map((r): AppliedMigration => ({ name: r.name, appliedAt: new Date(r.applied_at) }));
      }),
    apply: (migration) =>
      database.transaction((tx) =>
        tx.run((db) => {
          if (db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?').get(migration.name)) return false;
          step(db, migration.up);
          db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(migration.name, Date.now());
          return true;
        }),
      ),
    revert: (migration) =>
      database.transaction((tx) =>
        tx.run((db) => {
          if (!db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?').get(migration.name)) return false;
          step(db, migration.down);
          db.prepare('DELETE FROM schema_migrations WHERE name = ?').run(migration.name);
          return true;
        }),
      ),
    dropBookkeeping: () => database.run((db) => void db.exec('DROP TABLE IF EXISTS schema_migrations')),
  };
  return createMigrator(driver, migrations);
}

function step(db: SqliteDb, work: string | ((db: SqliteDb) => void)): void {
  if (typeof work === 'string') db.exec(work);
  else work(db);
}

function hasTable(db: SqliteDb, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** The older Python daemon also has a schema_migrations table, with a `version` column. */
function refuseLegacy(db: SqliteDb): void {
  if (!hasTable(db, 'schema_migrations')) return;
  const columns = (db.prepare("SELECT name FROM pragma_table_info('schema_migrations')").all() as { name: string }[]).map(
    (c) => c.name,
  );
  if (!columns.includes('name') && columns.includes('version')) {
    throw new MigrationError(
      'this is a database of the older Python TeleClaude daemon; import it with `teleclaude-db copy --from <it> --to <new database>` instead of migrating it in place',
    );
  }
}
