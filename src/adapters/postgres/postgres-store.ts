import { createObserver, type ObserveOptions, type ServerAddress } from '../../observability.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import { anyQueueReady } from '../../ports/store.js';
import type { WaitForWorkOptions } from '../../ports/work-signal.js';
import { PostgresNotifier } from './postgres-notifier.js';
import type { Store } from '../../ports/store.js';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { createDatabase, PostgresDatabase, type PostgresOptions } from './postgres-database.js';
import { PostgresBulkLoader } from './postgres-bulk-loader.js';
import { PostgresInspector } from './postgres-inspector.js';
import { createPostgresMigrator } from './postgres-migrator.js';
import { createPostgresRepositories } from './postgres-repositories.js';

/**
 * The server a store talks to, for telemetry's `server.address` / `server.port`: the first
 * one configured (with several hosts, the one in use may be a later one).
 */
function serverAddress(options: PostgresOptions): ServerAddress {
  const first = options.hosts?.[0];
  if (first) return { address: first.host, port: first.port ?? 5432 };
  if (options.url) {
    const match = /^[a-z]+:\/\/(?:[^@/]*@)?([^:/,?#]*)(?::(\d+))?/i.exec(options.url);
    if (match?.[1]) return { address: decodeURIComponent(match[1]).replace(/^\[|\]$/g, ''), port: Number(match[2] ?? 5432) };
  }
  return { address: options.host ?? 'localhost', port: options.port ?? 5432 };
}

/** A Store on a PostgreSQL pool. */
export class PostgresStore implements Store {
  readonly engine = 'postgresql' as const;
  readonly database: PostgresDatabase;
  readonly repositories;
  readonly migrator;
  readonly inspector;
  readonly bulk;
  readonly maintenance = { run: async () => {} };
  private closed = false;
  private readonly notifier: PostgresNotifier;

  constructor(
    readonly options: PostgresOptions,
    readonly location: string,
    private readonly clock: Clock = systemClock,
    observe?: ObserveOptions,
  ) {
    this.database = createDatabase(options, createObserver('postgresql', observe, serverAddress(options)));
    this.repositories = createPostgresRepositories(this.database, clock);
    this.migrator = createPostgresMigrator(options, postgresMigrations);
    this.inspector = new PostgresInspector(this.database);
    this.bulk = new PostgresBulkLoader(this.database);
    this.notifier = new PostgresNotifier(options, () => anyQueueReady(this.repositories));
  }

  waitForWork(options: WaitForWorkOptions = {}): Promise<boolean> {
    return this.notifier.wait(options.signal, options.timeoutMs ?? 30_000);
  }

  transaction<T>(fn: (tx: Store['repositories']) => Promise<T>): Promise<T> {
    return this.database.transaction((executor) => fn(createPostgresRepositories(executor, this.clock, true)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifier.close();
    await this.database.close();
  }
}
