import type { BulkLoader } from './bulk-loader.js';
import type { Inspector } from './inspector.js';
import type { Migrator } from './migrator.js';
import type { Repositories } from './repositories.js';
import type { WaitForWorkOptions } from './work-signal.js';

/** Periodic housekeeping of the engine (SQLite: WAL checkpoint; PostgreSQL: nothing). */
export interface Maintenance {
  /** Runs one round now. */
  run(): Promise<void>;
}

/** The handle the daemon holds on its database. */
export interface Store {
  /** The name of its engine in the registry (`EngineName` of src/engines/registry.ts: `sqlite`, `postgresql`, ...). */
  readonly engine: string;
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
  /**
   * Resolves `true` soon after a row of the hook outbox, inbound queue or webhook outbox is ready to claim (at once when one
   * already is), including rows enqueued by other processes; `false` after `timeoutMs`
   * (default 30 s) or when `signal` aborts. A hint to stop polling, never needed for
   * correctness: it may wake when a claim then finds nothing. PostgreSQL: NOTIFY in the
   * enqueue's transaction and LISTEN on a dedicated connection, polling every 100 ms when
   * LISTEN is unavailable (`listen: false`, e.g. behind a transaction pooler); SQLite:
   * `PRAGMA data_version` polled every 2 ms on a separate read-only connection.
   */
  waitForWork(options?: WaitForWorkOptions): Promise<boolean>;
  /** Closes the pool or file (and whatever `openStore` added). Idempotent. */
  close(): Promise<void>;
}

/**
 * Whether a queue that workers claim from (hook outbox, inbound queue, webhook outbox) has a
 * row ready to claim now: the readiness check of `waitForWork`. Operations are claimed by id,
 * not polled, so a queued one does not count.
 */
export async function anyQueueReady(r: Repositories): Promise<boolean> {
  for (const stats of [r.hookOutbox.stats(), r.inboundQueue.stats(), r.webhooks.stats()]) {
    if ((await stats).ready > 0) return true;
  }
  return false;
}
