import type { z } from 'zod';
import type { ConfigError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { InstanceLock } from '../ports/instance-lock.js';
import type { Store } from '../ports/store.js';
import type { TableReader } from '../ports/table-reader.js';
import type { ObserveOptions } from '../observability.js';

/**
 * What shared code may ask of an engine instead of testing its name, in the manner of
 * Kysely's adapter flags. An engine states only where it differs from the defaults
 * (`DEFAULT_CAPABILITIES`).
 */
export interface Capabilities {
  /** DDL runs inside a transaction and rolls back with it, so a migration and its record commit together. */
  transactionalDdl: boolean;
  /** `CREATE INDEX ... WHERE ...` exists (the idempotency keys are partial unique indexes). */
  partialIndexes: boolean;
  /** `UPDATE ... RETURNING` exists (claims and guarded transitions use it). */
  returningOnUpdate: boolean;
  /** Several processes on several hosts share the database over the network (false: one file on one host). */
  networked: boolean;
}

export const DEFAULT_CAPABILITIES: Readonly<Capabilities> = Object.freeze({
  transactionalDdl: true,
  partialIndexes: true,
  returningOnUpdate: true,
  networked: true,
});

/** An environment variable that sets one key of the engine's config block. */
export interface EngineEnvVariable {
  variable: string;
  key: string;
  /** Read as a number when it is all digits (otherwise passed on as text, for the schema to refuse). */
  numeric?: boolean;
  /** Holds a password: masked wherever it could be printed, and the only variable `copy` passes on. */
  secret?: boolean;
}

/** A scratch database of the engine: its config block, and how to throw it away. */
export interface ScratchDatabase<Block> {
  block: Block;
  remove: () => Promise<void>;
}

/**
 * The half of an engine that needs its driver: imported (by the composition root, once,
 * through `EngineDescriptor.load`) only when the driver package is installed.
 * Each factory receives the engine's parsed config block, every default filled in.
 */
export interface EngineImplementation<Block> {
  /** The store on the configured database; `client` is the driver's handle (a better-sqlite3 Database, a pg Pool). */
  createStore(block: Block, options: { clock: Clock; observe: ObserveOptions; location: string }): Store & { readonly client: unknown };
  /** The single-instance lock (not yet acquired). */
  createInstanceLock(block: Block, options: { clock: Clock; location: string }): InstanceLock;
  /** A read-only reader; `snapshot`: every read sees the database as of the first one (a copy's source). */
  createTableReader(block: Block, options: { snapshot?: boolean; location: string }): TableReader;
  /**
   * A new, empty database of this engine next to the configured one, for a copy's dry run
   * that writes for real and throws the result away.
   */
  createScratchDatabase(block: Block): Promise<ScratchDatabase<Block>>;
  /** Who else can read the database's files (empty when the engine's server keeps them). */
  exposureWarnings(block: Block): string[];
  /**
   * A throwaway store that needs no server (e.g. in-memory), migrated by `check` to learn
   * the schema this build expects; absent when the engine has none. The schema parity test
   * keeps every engine's schema equal, so any engine's reference serves every engine.
   */
  referenceStore?(): Store;
}

/**
 * One engine, in the shape of Kysely's `Dialect`: everything the rest of the package
 * knows about it. This object imports no driver; `load` brings in the implementation.
 * Defined in the engine's own folder (`src/adapters/<engine>/<engine>-engine.ts`) and
 * listed once in `src/engines/registry.ts`.
 */
export interface EngineDescriptor<Name extends string = string, Schema extends z.ZodObject = z.ZodObject> {
  /** The value of `database.engine`, and the key of the engine's config block. */
  readonly name: Name;
  /** For humans: "SQLite", "PostgreSQL". */
  readonly label: string;
  /** The npm package of the driver (an optional peer dependency). */
  readonly driver: string;
  /** URL schemes (lower case, without `://`) that name a database of this engine. */
  readonly schemes: readonly string[];
  /** A location without a URL scheme is a file path of this engine (at most one engine says so). */
  readonly acceptsPath: boolean;
  /** The zod schema of the engine's config block, defaults included (stated only here). */
  readonly config: Schema;
  /** Environment variables that set keys of the block (DATABASE_URL is handled through `schemes` and `urlKey`). */
  readonly env: readonly EngineEnvVariable[];
  /** The key of the block that takes a URL of one of `schemes` (DATABASE_URL, `copy --to URL`). */
  readonly urlKey?: string;
  /** Where it differs from `DEFAULT_CAPABILITIES`. */
  readonly capabilities: Partial<Capabilities>;
  /** The block's input for a location (a path, relative to `cwd`, or a URL of one of `schemes`). */
  locationConfig(location: string, cwd: string): Record<string, unknown>;
  /** Settings for a long bulk job (a copy), merged over the block: e.g. no statement timeout. */
  readonly bulkSettings?: Record<string, unknown>;
  /** The parsed block made canonical (a `~` path expanded, a URL's password percent-encoded). */
  normalize(block: z.output<Schema>): z.output<Schema>;
  /** Where the database lives, fit to print: a path, or a URL with the password masked. */
  describeLocation(block: z.output<Schema>): string;
  /** The file the database lives in on this machine, or null (a server; an in-memory database). */
  localFile(block: z.output<Schema>): string | null;
  /**
   * The keys of the block a daemon needs to open this database (what `copy --write-config`
   * writes), the password left out; and that password, which the daemon must get from
   * the engine's secret environment variable, or null.
   */
  daemonSettings(block: z.output<Schema>): { settings: Record<string, unknown>; password: string | null };
  /** Every password the block holds, in each form it may be printed in. */
  secrets(block: z.output<Schema>): string[];
  /** How often `openStore` runs the engine's maintenance; 0 = never on a timer. */
  maintenanceIntervalMs(block: z.output<Schema>): number;
  /**
   * The ConfigError to throw when the configured database does not exist and opening it
   * would create it (a command that must not create it asked), or null.
   */
  missingDatabase(block: z.output<Schema>): ConfigError | null;
  /** Imports the implementation (and with it the driver). */
  load(): Promise<EngineImplementation<z.output<Schema>>>;
}

/** Declares an engine: the identity function, there for the types. */
export function defineEngine<const Name extends string, Schema extends z.ZodObject>(engine: EngineDescriptor<Name, Schema>): EngineDescriptor<Name, Schema> {
  return engine;
}
