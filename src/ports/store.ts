import type { BulkLoader } from './bulk-loader.js';
import type { Inspector } from './inspector.js';
import type { Migrator } from './migrator.js';
import type { Repositories } from './repositories.js';

export type EngineName = 'sqlite' | 'postgresql';

/** Periodic housekeeping of the engine (SQLite: WAL checkpoint; PostgreSQL: nothing). */
export interface Maintenance {
  /** Runs one round now. */
  run(): Promise<void>;
}

/** The handle the daemon holds on its database. */
export interface Store {
  readonly engine: EngineName;
  /** Where the data lives, for humans: a file path, or a URL with the password masked. */
  readonly location: string;
  readonly repositories: Repositories;
  /**
   * Runs `fn` with repositories bound to one transaction: commits when `fn` resolves,
   * rolls back and rethrows when it throws. No other work of this store interleaves
   * with an open transaction on SQLite; on PostgreSQL the transaction has its own
   * connection. Inside `fn`, `store.repositories` and `store.transaction` reject with a
   * TypeError on every engine (use `tx`): they would wait for the connection or pool
   * slot the transaction holds, and would not see its writes.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  readonly migrator: Migrator;
  readonly maintenance: Maintenance;
  readonly inspector: Inspector;
  /** Whole-table writes for seed and copy tools (not for the daemon's normal work). */
  readonly bulk: BulkLoader;
  /** Closes the pool or file (and whatever `openStore` added). Idempotent. */
  close(): Promise<void>;
}
