import { createObserver, type ObserveOptions, type ServerAddress } from '../../observability.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import { anyQueueReady, type Store } from '../../ports/store.js';
import type { WaitForWorkOptions } from '../../ports/work-signal.js';
import { mariadbMigrations } from '../../migrations/mariadb/index.js';
import { MariadbBulkLoader } from './mariadb-bulk-loader.js';
import { createMariadbDatabase, parseMariadbUrl, type MariadbDatabase, type MariadbOptions } from './mariadb-database.js';
import { MariadbInspector } from './mariadb-inspector.js';
import { createMariadbMigrator } from './mariadb-migrator.js';
import { MariadbNotifier } from './mariadb-notifier.js';
import { createMariadbRepositories } from './mariadb-repositories.js';

/** This engine's name. */
export const MARIADB = 'mariadb';

/** The server a store talks to, for telemetry's `server.address` / `server.port`. */
function serverAddress(options: MariadbOptions): ServerAddress {
  if (options.url) {
    const { host, port } = parseMariadbUrl(options.url);
    return { address: host, port };
  }
  return { address: options.host ?? 'localhost', port: options.port ?? 3306 };
}

/** A Store on a MariaDB pool. */
export class MariadbStore implements Store {
  readonly engine = MARIADB;
  readonly database: MariadbDatabase;
  readonly repositories;
  readonly migrator;
  readonly inspector;
  readonly bulk;
  readonly maintenance = { run: async () => {} };
  private closed = false;
  private readonly notifier: MariadbNotifier;

  constructor(
    readonly options: MariadbOptions,
    readonly location: string,
    private readonly clock: Clock = systemClock,
    observe?: ObserveOptions,
  ) {
    this.database = createMariadbDatabase(options, createObserver(MARIADB, observe, serverAddress(options)));
    this.repositories = createMariadbRepositories(this.database, clock);
    this.migrator = createMariadbMigrator(options, mariadbMigrations);
    this.inspector = new MariadbInspector(this.database);
    this.bulk = new MariadbBulkLoader(this.database);
    this.notifier = new MariadbNotifier(() => anyQueueReady(this.repositories));
  }

  /** Polls the queues' readiness (MariaDB has no LISTEN/NOTIFY) every 50 ms while someone waits. */
  waitForWork(options: WaitForWorkOptions = {}): Promise<boolean> {
    return this.notifier.wait(options.signal, options.timeoutMs ?? 30_000);
  }

  transaction<T>(fn: (tx: Store['repositories']) => Promise<T>): Promise<T> {
    return this.database.transaction((executor) => fn(createMariadbRepositories(executor, this.clock, true)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifier.close();
    await this.database.close();
  }
}
