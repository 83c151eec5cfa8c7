import { createObserver, type ObserveOptions } from '../../observability.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import { anyQueueReady } from '../../ports/store.js';
import type { WaitForWorkOptions } from '../../ports/work-signal.js';
import { SqliteNotifier } from './sqlite-notifier.js';
import type { Store } from '../../ports/store.js';
import { sqliteMigrations } from '../../migrations/sqlite/index.js';
import { openSqlite, SqliteDatabase, type SqliteOptions } from './sqlite-database.js';
import { SqliteBulkLoader } from './sqlite-bulk-loader.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SQLITE_DEFAULTS } from './sqlite-engine.js';
import { SqliteInspector } from './sqlite-inspector.js';
import { createSqliteMigrator, refuseLegacyFile } from './sqlite-migrator.js';
import { createSqliteRepositories } from './sqlite-repositories.js';

export interface SqliteStoreOptions extends SqliteOptions, ObserveOptions {
  /** How often a worker thread checkpoints the WAL; 0: SQLite checkpoints in the commit that takes the WAL past 1000 pages (see SqliteCheckpointer). */
  backgroundCheckpointMs?: number;
}

/** A Store on one SQLite file. */
export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly location: string;
  readonly database: SqliteDatabase;
  readonly repositories;
  /** What every `transaction` hands its function: built once, bound to the one transaction executor. */
  private readonly transactionRepositories;
  readonly migrator;
  readonly inspector;
  readonly bulk;
  readonly maintenance;
  private closed = false;
  private readonly notifier: SqliteNotifier;
  /** The WAL's checkpoints, off the commit path (absent in memory, read-only, or with backgroundCheckpointMs 0). */
  readonly checkpointer: SqliteCheckpointer | undefined;

  constructor(options: SqliteStoreOptions, clock: Clock = systemClock) {
    this.location = options.path;
    if (!options.readonly) refuseLegacyFile(options.path);
    this.database = new SqliteDatabase(openSqlite(options), createObserver('sqlite', options));
    this.repositories = createSqliteRepositories(this.database, clock);
    this.transactionRepositories = createSqliteRepositories(this.database.transactional, clock);
    this.migrator = createSqliteMigrator(this.database, sqliteMigrations);
    this.inspector = new SqliteInspector(this.database);
    this.bulk = new SqliteBulkLoader(this.database);
    const checkpointMs = options.backgroundCheckpointMs ?? SQLITE_DEFAULTS.backgroundCheckpointMs;
    if (!options.readonly && options.path !== ':memory:' && checkpointMs > 0) {
      this.checkpointer = new SqliteCheckpointer(this.database.db, this.database.db.name, { intervalMs: checkpointMs });
    }
    this.notifier = new SqliteNotifier(options.path, () => anyQueueReady(this.repositories));
    this.maintenance = {
      // TRUNCATE resets the WAL file to zero bytes so it does not grow without bound.
      run: () => this.database.run((db) => void db.pragma('wal_checkpoint(TRUNCATE)')),
    };
  }

  waitForWork(options: WaitForWorkOptions = {}): Promise<boolean> {
    return this.notifier.wait(options.signal, options.timeoutMs ?? 30_000);
  }

  transaction<T>(fn: (tx: Store['repositories']) => Promise<T>): Promise<T> {
    return this.database.transaction(() => fn(this.transactionRepositories));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.close();
    // Its connection closed first, so the store's is the last and removes the -wal and -shm files.
    await this.checkpointer?.stop();
    // Wait for a running transaction, then checkpoint so the WAL does not outlive the store.
    // A checkpoint that fails (disk full) loses nothing: the WAL keeps the pages and the
    // next open replays them; the handle is closed either way.
    try {
      await this.database.run((db) => {
        if (!db.readonly) db.pragma('wal_checkpoint(TRUNCATE)');
      });
    } catch {
      // See above.
    } finally {
      this.database.close();
    }
  }
}
