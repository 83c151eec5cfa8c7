import type { DependencyContainer } from 'tsyringe';
import type { DatabaseConfig } from './config/config-schema.js';
import { resolveConfig, type ResolveOptions } from './config/resolve-config.js';
import { createContainer, createInstanceLock, createStore, maintenanceIntervalMs } from './container.js';
import { CopyUnfinishedError } from './domain/errors.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { InstanceLock } from './ports/instance-lock.js';
import type { Store } from './ports/store.js';
import type { ObserveOptions } from './observability.js';

export interface OpenStoreOptions extends ResolveOptions, ObserveOptions {
  clock?: Clock;
  /** Apply pending migrations instead of refusing to start (default false). */
  autoMigrate?: boolean;
  /**
   * Take the single-instance lock (default true). Short-lived readers that may run
   * next to the daemon (a CLI, a hook receiver) pass false.
   */
  instanceLock?: boolean;
  /** Called when a maintenance round fails; the next round runs as planned. */
  onMaintenanceError?: (error: unknown) => void;
}

/** A store opened for the daemon, with its resolved config, DI container and instance lock. */
export interface OpenedStore extends Store {
  readonly config: DatabaseConfig;
  readonly container: DependencyContainer;
  /**
   * The instance lock; `held` when opened with it. On PostgreSQL the daemon should
   * watch `lock.signal` / `lock.onLost` and re-acquire or stop when the lock is lost.
   */
  readonly lock: InstanceLock;
  /**
   * Stops maintenance, closes the pool or file (SQLite checkpoints first) and releases
   * the instance lock. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Opens the configured database for the daemon: resolves the config, takes the
 * instance lock (failing fast with InstanceLockedError when another process holds it),
 * migrates when `autoMigrate` is set (otherwise refuses pending migrations), always
 * refuses a database newer than this build or one holding an unfinished copy
 * (`CopyUnfinishedError`), builds the container and starts the engine's periodic
 * maintenance.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const { database: config } = resolveConfig(options);
  const clock = options.clock ?? systemClock;
  const lock = createInstanceLock(config, { clock });
  const store = createStore(config, { clock, onQuery: options.onQuery, includeParameters: options.includeParameters });
  try {
    await refuseUnfinishedCopy(store);
    // Checked before the lock: taking a PostgreSQL lease creates its table (and a missing
    // schema) in the database, which a daemon that may not migrate must not do.
    if (!options.autoMigrate) await store.migrator.assertCurrent();
    if (options.instanceLock !== false) await lock.acquire();
    if (options.autoMigrate) await store.migrator.up();
  } catch (error) {
    await store.close();
    await lock.release();
    throw error;
  }
  const container = createContainer(config, { store, clock, lock });

  const interval = maintenanceIntervalMs(config);
  let running: Promise<void> | null = null;
  const timer =
    interval > 0
      ? setInterval(() => {
          // A slow round (a long checkpoint) is not stacked with the next one.
          running ??= store.maintenance
            .run()
            .catch((error: unknown) => options.onMaintenanceError?.(error))
            .finally(() => (running = null));
        }, interval)
      : null;
  // Maintenance alone must not keep the daemon's event loop alive.
  timer?.unref();

  const closeStore = store.close.bind(store);
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      if (timer) clearInterval(timer);
      await running;
      try {
        await closeStore();
      } finally {
        await lock.release();
      }
    })());
  return Object.assign(store, { config, container, lock, close });
}

/**
 * Throws `CopyUnfinishedError` (TC_COPY_UNFINISHED), naming the copy to finish, when
 * `store` holds a copy that did not finish: its tables are incomplete and its foreign
 * keys may be suspended, so whatever wrote to it could not be copied onto later.
 */
export async function refuseUnfinishedCopy(store: Store): Promise<void> {
  const copy = await store.bulk.interruptedCopy();
  if (copy) throw new CopyUnfinishedError(store.location, copy.sources, copy);
}
