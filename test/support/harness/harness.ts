import type { EngineName } from '../../../src/engines/registry.js';

/**
 * How a test (or a child process it starts) reaches one database: the engine, its
 * location as `copy` and DATABASE_URL take it (a file path or a URL), and settings of the
 * engine's config block over the defaults. Plain JSON, so it can cross a process boundary.
 */
export interface ConnectionSpec {
  engine: EngineName;
  location: string;
  settings?: Record<string, unknown>;
}

/** A database a test made for itself. */
export interface TestDatabase {
  spec: ConnectionSpec;
  /** Runs raw SQL on it, outside the package (a test that damages or inspects a database on purpose). */
  exec(sql: string): Promise<void>;
  /** Runs one raw SQL statement on it, outside the package, and returns its rows (none for a statement that returns none). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Removes it (drops the database, deletes the file). */
  remove(): Promise<void>;
}

/**
 * The test side of one engine: how to make a database of it. One module per engine in
 * this folder, listed in `index.ts`; everything else (stores, readers, locks, the CLI's
 * environment) goes through the package's own registry.
 */
export interface EngineHarness {
  name: EngineName;
  /** A new, empty database of its own (names carry `prefix`, the pid and a random part). */
  createDatabase(prefix: string): Promise<TestDatabase>;
  /**
   * SQL that empties `tables` of a migrated database and restarts their ids, so the
   * contracts can reuse one database per file; absent: a new database for every test.
   */
  emptyTablesSql?(tables: string[]): string;
  /** SQL that drops index `index` of `table`, where the engine's syntax is not `DROP INDEX name`. */
  dropIndexSql?(table: string, index: string): string;
  /** The class of the driver's client the container registers under TOKENS.DatabaseClient. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor of the driver
  clientClass: abstract new (...args: any[]) => unknown;
  /** Settings the contracts give every store and child process (e.g. a short instance lease). */
  contractSettings?: Record<string, unknown>;
  /** How long a SIGKILLed daemon's instance lock may outlive it under `contractSettings`. */
  crashedLockFreedWithinMs: number;
}
