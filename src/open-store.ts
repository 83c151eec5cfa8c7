import type { DependencyContainer } from 'tsyringe';
import type { DatabaseConfig } from './config/config-schema.js';
import { resolveConfig, type ResolveOptions } from './config/resolve-config.js';
import { createContainer, createStore } from './container.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Store } from './ports/store.js';

export interface OpenStoreOptions extends ResolveOptions {
  clock?: Clock;
  /** Apply pending migrations instead of refusing to start (default false). */
  autoMigrate?: boolean;
}

/** A store opened for the daemon, with its resolved config and DI container. */
export interface OpenedStore extends Store {
  readonly config: DatabaseConfig;
  readonly container: DependencyContainer;
}

/**
 * Opens the configured database for the daemon: resolves the config, migrates when
 * `autoMigrate` is set (otherwise refuses pending migrations), and builds the container.
 * A database newer than this build is always refused.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const { database: config } = resolveConfig(options);
  const clock = options.clock ?? systemClock;
  const store = createStore(config, { clock });
  try {
    if (options.autoMigrate) await store.migrator.up();
    else await store.migrator.assertCurrent();
  } catch (error) {
    await store.close();
    throw error;
  }
  const container = createContainer(config, { store, clock });
  return Object.assign(store, { config, container });
}
