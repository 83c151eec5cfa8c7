import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { PostgresOptions } from './adapters/postgres/postgres-database.js';
import type { TableReader } from './ports/table-reader.js';
import type { DatabaseConfig } from './config/config-schema.js';
import { maskSecrets } from './config/resolve-config.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { InstanceLock } from './ports/instance-lock.js';
import { REPOSITORY_NAMES, type Repositories } from './ports/repositories.js';
import type { Store } from './ports/store.js';
import { ConfigError } from './domain/errors.js';
import type { ObserveOptions } from './observability.js';

/** The npm package that is each engine's driver (an optional peer dependency). */
export const ENGINE_DRIVERS = { sqlite: 'better-sqlite3', postgresql: 'pg' } as const;

/** True when `error` says that the package `name` itself (not some other module) cannot be found. */
function isMissingPackage(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  const missing = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND';
  return missing && new RegExp(`['"]${name}['"]`).test(e?.message ?? '');
}

async function optionalEngine<T>(driver: string, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, driver)) return undefined;
    throw error;
  }
}

// Each engine's adapters import their driver, so they are imported here, once, only if the
// driver is installed: a PostgreSQL-only install has no better-sqlite3 (a native addon that
// needs a compiler) and an SQLite-only one no pg. Using an engine whose driver is missing
// throws ConfigError with the install command.
const postgresEngine = await optionalEngine(ENGINE_DRIVERS.postgresql, () => import('./adapters/postgres/postgres-engine.js'));
const sqliteEngine = await optionalEngine(ENGINE_DRIVERS.sqlite, () => import('./adapters/sqlite/sqlite-engine.js'));

/** The ConfigError (TC_CONFIG) for an engine whose driver is not installed, with the command that installs it. */
export function missingDriverError(engine: keyof typeof ENGINE_DRIVERS): ConfigError {
  const driver = ENGINE_DRIVERS[engine];
  return new ConfigError(
    'database.engine',
    `engine ${engine} needs the '${driver}' package, which is not installed; install it in your project with: npm install ${driver}`,
  );
}

function postgres(): NonNullable<typeof postgresEngine> {
  if (!postgresEngine) throw missingDriverError('postgresql');
  return postgresEngine;
}

function sqlite(): NonNullable<typeof sqliteEngine> {
  if (!sqliteEngine) throw missingDriverError('sqlite');
  return sqliteEngine;
}

/** One token per repository, keyed like `Store.repositories`. */
export const REPOSITORY_TOKENS: { readonly [K in keyof Repositories]: symbol } = {
  sessions: Symbol.for('teleclaude.SessionRepository'),
  voices: Symbol.for('teleclaude.VoiceRepository'),
  settings: Symbol.for('teleclaude.SettingsRepository'),
  hookOutbox: Symbol.for('teleclaude.HookOutboxRepository'),
  inboundQueue: Symbol.for('teleclaude.InboundQueueRepository'),
  operations: Symbol.for('teleclaude.OperationRepository'),
  webhooks: Symbol.for('teleclaude.WebhookRepository'),
  pendingDeletions: Symbol.for('teleclaude.PendingDeletionRepository'),
  agentAvailability: Symbol.for('teleclaude.AgentAvailabilityRepository'),
  listeners: Symbol.for('teleclaude.ListenerRepository'),
  conversationLinks: Symbol.for('teleclaude.ConversationLinkRepository'),
  sessionTokens: Symbol.for('teleclaude.SessionTokenRepository'),
  memory: Symbol.for('teleclaude.MemoryRepository'),
  mirrors: Symbol.for('teleclaude.MirrorRepository'),
};

/** Every token the container registers. */
export const TOKENS = {
  Config: Symbol.for('teleclaude.DatabaseConfig'),
  Clock: Symbol.for('teleclaude.Clock'),
  Store: Symbol.for('teleclaude.Store'),
  /** The engine's client: a better-sqlite3 `Database` or a pg `Pool`. */
  DatabaseClient: Symbol.for('teleclaude.DatabaseClient'),
  Migrator: Symbol.for('teleclaude.Migrator'),
  Inspector: Symbol.for('teleclaude.Inspector'),
  Maintenance: Symbol.for('teleclaude.Maintenance'),
  /** The single-instance lock (registered by `openStore`, also when it was opened without taking it). */
  InstanceLock: Symbol.for('teleclaude.InstanceLock'),
  SessionRepository: REPOSITORY_TOKENS.sessions,
  VoiceRepository: REPOSITORY_TOKENS.voices,
  SettingsRepository: REPOSITORY_TOKENS.settings,
  HookOutboxRepository: REPOSITORY_TOKENS.hookOutbox,
  InboundQueueRepository: REPOSITORY_TOKENS.inboundQueue,
  OperationRepository: REPOSITORY_TOKENS.operations,
  WebhookRepository: REPOSITORY_TOKENS.webhooks,
  PendingDeletionRepository: REPOSITORY_TOKENS.pendingDeletions,
  AgentAvailabilityRepository: REPOSITORY_TOKENS.agentAvailability,
  ListenerRepository: REPOSITORY_TOKENS.listeners,
  ConversationLinkRepository: REPOSITORY_TOKENS.conversationLinks,
  SessionTokenRepository: REPOSITORY_TOKENS.sessionTokens,
  MemoryRepository: REPOSITORY_TOKENS.memory,
  MirrorRepository: REPOSITORY_TOKENS.mirrors,
} as const;

export interface StoreOptions extends ObserveOptions {
  clock?: Clock;
}

/** Builds the engine's store for a resolved config. The one place that chooses an engine. */
export function createStore(config: DatabaseConfig, options: StoreOptions = {}): Store & { readonly client: unknown } {
  const clock = options.clock ?? systemClock;
  if (config.engine === 'sqlite') {
    const store = new (sqlite().SqliteStore)({ path: config.sqlite.path, busyTimeoutMs: config.sqlite.busyTimeoutMs, ...observe(options) }, clock);
    return Object.assign(store, { client: store.database.db });
  }
  const store = new (postgres().PostgresStore)(postgresOptions(config), describeLocation(config), clock, observe(options));
  return Object.assign(store, { client: store.database.pool });
}

function observe(options: StoreOptions): ObserveOptions {
  return { onQuery: options.onQuery, includeParameters: options.includeParameters };
}

function postgresOptions(config: DatabaseConfig): PostgresOptions {
  const pg = config.postgresql;
  return {
    url: pg.url,
    host: pg.host,
    port: pg.port,
    hosts: pg.hosts,
    targetSessionAttrs: pg.targetSessionAttrs,
    database: pg.database,
    user: pg.user,
    password: pg.password,
    ssl: pg.ssl,
    schema: pg.schema,
    pool: pg.pool,
    statementTimeoutMs: pg.statementTimeoutMs,
    connectTimeoutMs: pg.connectTimeoutMs,
    instanceLockLeaseMs: pg.instanceLockLeaseMs,
    migrationLockTimeoutMs: pg.migrationLockTimeoutMs,
    applicationName: pg.applicationName,
    listen: pg.listen,
  };
}

/**
 * Throws ConfigError (TC_CONFIG) when the configured database does not exist yet, for a
 * command that must not create it: an SQLite file that is not there (opening it would
 * create an empty one). PostgreSQL is never created by opening it, so nothing is checked.
 */
export function refuseMissingDatabase(config: DatabaseConfig): void {
  if (config.engine !== 'sqlite' || config.sqlite.path === ':memory:' || existsSync(config.sqlite.path)) return;
  throw new ConfigError('database.sqlite.path', `no database at ${config.sqlite.path} (nothing was created); check the path, or create it with 'teleclaude-db init'`);
}

/** The engine's single-instance lock for a resolved config (not yet acquired). */
export function createInstanceLock(config: DatabaseConfig, options: StoreOptions = {}): InstanceLock {
  if (config.engine === 'sqlite') return new (sqlite().SqliteInstanceLock)(config.sqlite.path, options.clock ?? systemClock);
  if (config.postgresql.instanceLock === 'advisory') return new (postgres().PostgresInstanceLock)(postgresOptions(config), describeLocation(config));
  return new (postgres().PostgresLeaseLock)(postgresOptions(config), describeLocation(config));
}

/**
 * Who else can read the database's files (SQLite: the file, its -wal, -shm and .lock
 * readable by group or others); nothing on PostgreSQL, whose server keeps its files.
 */
export function exposureWarnings(config: DatabaseConfig): string[] {
  return config.engine === 'sqlite' ? sqlite().sqliteExposureWarnings(config.sqlite.path) : [];
}

/** How often `openStore` runs the engine's maintenance; 0 = never on a timer (PostgreSQL needs none). */
export function maintenanceIntervalMs(config: DatabaseConfig): number {
  return config.engine === 'sqlite' ? config.sqlite.checkpointIntervalMs : 0;
}

/**
 * A scratch database of `config`'s engine, for a dry run that writes for real and throws
 * the result away with `remove`: SQLite, a new file in a new temporary directory;
 * PostgreSQL, a new schema in the same database (the target's own schema is never
 * touched; a process killed before `remove` leaves a `tc_copy_dry_run_*` schema behind, which `DROP SCHEMA ... CASCADE` removes).
 */
export async function createScratchDatabase(config: DatabaseConfig): Promise<{ config: DatabaseConfig; remove: () => Promise<void> }> {
  if (config.engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tc-copy-dry-run-'));
    return {
      config: { ...config, sqlite: { ...config.sqlite, path: join(dir, 'scratch.db') } },
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `tc_copy_dry_run_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new (postgres().PostgresDatabase)(postgres().createPool(postgresOptions(config)));
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (error) {
    await admin.close();
    throw error;
  }
  return {
    config: { ...config, postgresql: { ...config.postgresql, schema } },
    remove: async () => {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * A read-only reader on the database of `config` (SQLite: opened read-only; the file must
 * exist). `snapshot`: an SQLite file is read as one snapshot, as of the first read (for a
 * copy's source; PostgreSQL reads are per statement either way).
 */
export function createTableReader(config: DatabaseConfig, options: { snapshot?: boolean } = {}): TableReader {
  if (config.engine === 'sqlite') return new (sqlite().SqliteTableReader)(config.sqlite.path, options);
  return new (postgres().PostgresTableReader)(postgresOptions(config), describeLocation(config));
}

/**
 * The composition root: a child container of tsyringe's root with the config, clock,
 * store, the engine's client and every repository registered under `TOKENS`.
 * Registrations are values, so nothing depends on decorator metadata.
 */
export function createContainer(
  config: DatabaseConfig,
  options: StoreOptions & { store?: Store & { readonly client: unknown }; lock?: InstanceLock } = {},
): DependencyContainer {
  const store = options.store ?? createStore(config, options);
  const container = registerStore(rootContainer.createChildContainer(), config, store, options.clock ?? systemClock);
  container.register(TOKENS.InstanceLock, { useValue: options.lock ?? createInstanceLock(config, options) });
  return container;
}

/** Registers `store` and everything reachable from it under `TOKENS` in `container`. */
export function registerStore(
  container: DependencyContainer,
  config: DatabaseConfig,
  store: Store & { readonly client: unknown },
  clock: Clock,
): DependencyContainer {
  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.Clock, { useValue: clock });
  container.register(TOKENS.Store, { useValue: store });
  container.register(TOKENS.DatabaseClient, { useValue: store.client });
  container.register(TOKENS.Migrator, { useValue: store.migrator });
  container.register(TOKENS.Inspector, { useValue: store.inspector });
  container.register(TOKENS.Maintenance, { useValue: store.maintenance });
  for (const name of REPOSITORY_NAMES) container.register(REPOSITORY_TOKENS[name], { useValue: store.repositories[name] });
  return container;
}

/** Where the configured database lives, fit to print: a path, or a URL with the password masked. */
export function describeLocation(config: DatabaseConfig): string {
  if (config.engine === 'sqlite') return config.sqlite.path;
  const pg = config.postgresql;
  if (pg.url) {
    const url = maskSecrets(pg.url, pg.password);
    return pg.schema === 'public' ? url : `${url} (schema ${pg.schema})`;
  }
  const user = pg.user ? `${pg.user}${pg.password ? ':****' : ''}@` : '';
  const servers = pg.hosts?.map((h) => `${h.host}:${h.port ?? 5432}`).join(',') ?? `${pg.host ?? 'localhost'}:${pg.port ?? 5432}`;
  const where = `postgresql://${user}${servers}/${pg.database ?? pg.user ?? ''}`;
  return pg.schema === 'public' ? where : `${where} (schema ${pg.schema})`;
}
