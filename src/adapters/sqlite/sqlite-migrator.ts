import { MigrationError } from '../../domain/errors.js';
import type { AppliedMigration, Migrator } from '../../ports/migrator.js';
import { createMigrator, type MigrationDriver } from '../../migrations/runner.js';
import type { SqliteDatabase, SqliteDb } from './sqlite-database.js';
import { sqliteTableSql } from './sqlite-file-probe.js';

/** One SQLite migration: SQL text (or synchronous code) for each direction. */
export interface SqliteMigration {
  name: string;
  up: string | ((db: SqliteDb) => void);
  down: string | ((db: SqliteDb) => void);
  /** For a code `up`: the SQL it runs, of which its checksum is taken (see the PostgreSQL twin). */
  sql?: string;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name TEXT PRIMARY KEY NOT NULL,
  applied_at INTEGER NOT NULL,
  checksum TEXT
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
        // A table from before checksums has no such column until the next migrate adds it.
        const checksum = hasChecksumColumn(db) ? 'checksum' : 'NULL AS checksum';
        return (db.prepare(`SELECT name, applied_at, ${checksum} FROM schema_migrations ORDER BY applied_at, name`).all() as {
          name: string;
          applied_at: number;
          checksum: string | null;
        }[]).map((r): AppliedMigration => ({ name: r.name, appliedAt: new Date(r.applied_at), checksum: r.checksum }));
      }),
    apply: (migration, checksum) =>
      database.transaction((tx) =>
        tx.run((db) => {
          if (db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?').get(migration.name)) return false;
          step(db, migration.up);
          db.prepare('INSERT INTO schema_migrations (name, applied_at, checksum) VALUES (?, ?, ?)').run(migration.name, Date.now(), checksum);
          return true;
        }),
      ),
    recordChecksums: (backfill, accept) =>
      database.transaction((tx) =>
        tx.run((db) => {
          if (!hasChecksumColumn(db)) db.exec('ALTER TABLE schema_migrations ADD COLUMN checksum TEXT');
          const fill = db.prepare('UPDATE schema_migrations SET checksum = ? WHERE name = ? AND checksum IS NULL');
          for (const [name, sum] of backfill) fill.run(sum, name);
          const set = db.prepare('UPDATE schema_migrations SET checksum = ? WHERE name = ?');
          for (const [name, sum] of accept) set.run(sum, name);
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

function hasChecksumColumn(db: SqliteDb): boolean {
  return db.prepare("SELECT 1 FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'").get() !== undefined;
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
  if (isLegacy(columns)) throw legacyError();
}

/**
 * Refuses the older daemon's file before it is opened for writing: opening it switches
 * it to WAL (its bytes change) before any migration could look at it. The schema is read
 * from the file's bytes, so nothing beside or in it changes.
 */
export function refuseLegacyFile(path: string): void {
  if (path === ':memory:') return;
  const sql = sqliteTableSql(path, 'schema_migrations');
  if (sql !== null && isLegacy(declaredColumns(sql))) throw legacyError(path);
}

function isLegacy(columns: string[]): boolean {
  return !columns.includes('name') && columns.includes('version');
}

function legacyError(path?: string): MigrationError {
  const what = path ? `${path} is` : 'this is';
  return new MigrationError(
    `${what} a database of the older Python TeleClaude daemon; import it with \`teleclaude-db copy --from <it> --to <new database>\` instead of migrating it in place${path ? ' (it was left unchanged)' : ''}`,
  );
}

/** Column names of a CREATE TABLE statement (table constraints left out). */
function declaredColumns(sql: string): string[] {
  const body = sql.slice(sql.indexOf('(') + 1, sql.lastIndexOf(')'));
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts
    .map((part) => /^\s*(?:"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|'([^']+)'|(\S+))/.exec(part))
    .flatMap((m) => (m ? [m[1]?.replace(/""/g, '"') ?? m[2] ?? m[3] ?? m[4] ?? m[5]!] : []))
    .filter((word) => !/^(constraint|primary|unique|check|foreign)$/i.test(word));
}
