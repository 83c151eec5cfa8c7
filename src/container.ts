import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { TableReader } from './ports/table-reader.js';
import type { DatabaseConfig } from './config/config-schema.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { InstanceLock } from './ports/instance-lock.js';
import { REPOSITORY_NAMES, type Repositories } from './ports/repositories.js';
import type { Store } from './ports/store.js';
import { ConfigError } from './domain/errors.js';
import type { ObserveOptions } from './observability.js';
import type { EngineImplementation, ScratchDatabase } from './engines/engine.js';
import { ENGINES, engineNamed, type AnyEngine, type EngineName } from './engines/registry.js';

/** True when `error` says that the package `name` itself (not some other module) cannot be found. */
function isMissingPackage(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  const missing = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND';
  return missing && new RegExp(`['"]${name}['"]`).test(e?.message ?? '');
}

/**
 * Imports an engine's implementation; undefined when its driver is not installed (any
 * other failure is thrown).
 */
export async function loadImplementation(engine: AnyEngine): Promise<EngineImplementation<unknown> | undefined> {
  try {
    return await engine.load();
  } catch (error) {
    if (isMissingPackage(error, engine.driver)) return undefined;
    throw error;
  }
}

// Each engine's implementation imports its driver, so it is imported here, once, only if
// the driver is installed: a PostgreSQL-only install has no better-sqlite3 (a native addon
// that needs a compiler) and an SQLite-only one no pg. Using an engine whose driver is
// missing throws ConfigError with the install command. Loaded up front so that
// `createStore` stays synchronous; nothing but this module calls `load`.
const implementations = new Map<string, EngineImplementation<unknown> | undefined>(
  await Promise.all(ENGINES.map(async (engine) => [engine.name, await loadImplementation(engine)] as const)),
);

/** The ConfigError (TC_CONFIG) for an engine whose driver is not installed, with the command that installs it. */
export function missingDriverError(engine: AnyEngine): ConfigError {
  return new ConfigError(
    'database.engine',
    `engine ${engine.name} needs the '${engine.driver}' package, which is not installed; install it in your project with: npm install ${engine.driver}`,
  );
}

/** The implementation of `engine`, or null when its driver is not installed. */
export function implementationOrNull(engine: AnyEngine): EngineImplementation<unknown> | null {
  return implementations.get(engine.name) ?? null;
}

/** The implementation of `engine`; ConfigError with the install command when its driver is missing. */
export function implementationOf(engine: AnyEngine): EngineImplementation<unknown> {
  const implementation = implementations.get(engine.name);
  if (!implementation) throw missingDriverError(engine);
  return implementation;
}

/** The configured engine, its config block and (on demand) its implementation. */
function configured(config: DatabaseConfig): { engine: AnyEngine; block: unknown; implementation: () => EngineImplementation<unknown> } {
  const engine = engineNamed(config.engine);
  return { engine, block: (config as unknown as Record<string, unknown>)[engine.name], implementation: () => implementationOf(engine) };
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
export function createStore(config: DatabaseConfig, options: StoreOptions = {}): Store & { readonly engine: EngineName; readonly client: unknown } {
  const { engine, block, implementation } = configured(config);
  const observe: ObserveOptions = { onQuery: options.onQuery, includeParameters: options.includeParameters };
  const store = implementation().createStore(block, { clock: options.clock ?? systemClock, observe, location: engine.describeLocation(block) });
  return store as Store & { readonly engine: EngineName; readonly client: unknown };
}

/**
 * Throws ConfigError (TC_CONFIG) when the configured database does not exist yet and
 * opening it would create it, for a command that must not create it (an SQLite file that
 * is not there; a server database is never created by opening it).
 */
export function refuseMissingDatabase(config: DatabaseConfig): void {
  const { engine, block } = configured(config);
  const error = engine.missingDatabase(block);
  if (error) throw error;
}

/** The engine's single-instance lock for a resolved config (not yet acquired). */
export function createInstanceLock(config: DatabaseConfig, options: StoreOptions = {}): InstanceLock {
  const { engine, block, implementation } = configured(config);
  return implementation().createInstanceLock(block, { clock: options.clock ?? systemClock, location: engine.describeLocation(block) });
}

/**
 * Who else can read the database's files (SQLite: the file, its -wal, -shm and .lock
 * readable by group or others); nothing on an engine whose server keeps its files.
 */
export function exposureWarnings(config: DatabaseConfig): string[] {
  const { block, implementation } = configured(config);
  return implementation().exposureWarnings(block);
}

/** How often `openStore` runs the engine's maintenance; 0 = never on a timer (PostgreSQL needs none). */
export function maintenanceIntervalMs(config: DatabaseConfig): number {
  const { engine, block } = configured(config);
  return engine.maintenanceIntervalMs(block);
}

/**
 * A scratch database of `config`'s engine, for a dry run that writes for real and throws
 * the result away with `remove` (SQLite: a new file in a new temporary directory;
 * PostgreSQL: a new schema in the same database, see each engine's implementation).
 */
export async function createScratchDatabase(config: DatabaseConfig): Promise<{ config: DatabaseConfig; remove: () => Promise<void> }> {
  const { engine, block, implementation } = configured(config);
  const scratch: ScratchDatabase<unknown> = await implementation().createScratchDatabase(block);
  return { config: { ...config, [engine.name]: scratch.block }, remove: scratch.remove };
}

/**
 * A read-only reader on the database of `config` (SQLite: opened read-only; the file must
 * exist). `snapshot`: every read sees the database as of the first one (for a copy's
 * source; an engine whose reads are per statement ignores it).
 */
export function createTableReader(config: DatabaseConfig, options: { snapshot?: boolean } = {}): TableReader {
  const { engine, block, implementation } = configured(config);
  return implementation().createTableReader(block, { snapshot: options.snapshot, location: engine.describeLocation(block) });
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
  const { engine, block } = configured(config);
  return engine.describeLocation(block);
}
