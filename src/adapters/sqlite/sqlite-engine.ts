import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../domain/errors.js';
import { defineEngine } from '../../engines/engine.js';
import { nonNegativeInt } from '../../engines/config-fields.js';

/** The `database.sqlite` block, every default stated here and only here. */
export const sqliteConfigSchema = z
  .object({
    path: z.string().min(1, 'must not be empty').default('~/.teleclaude/teleclaude.db'),
    busyTimeoutMs: nonNegativeInt.default(5000),
    /** How often a worker thread checkpoints the WAL (0 = SQLite's own, in the commit that takes the WAL past 1000 pages). */
    backgroundCheckpointMs: nonNegativeInt.default(100),
    /** How often openStore checkpoints the WAL (0 = only at close). */
    checkpointIntervalMs: nonNegativeInt.default(300_000),
  })
  .strict();

export type SqliteConfig = z.output<typeof sqliteConfigSchema>;

/** Every default of the block, from the schema (where alone they are stated), for a caller building the adapter directly. */
export const SQLITE_DEFAULTS: SqliteConfig = sqliteConfigSchema.parse({});

/** `~` expanded; a relative path made absolute (from the working directory); `:memory:` kept. */
function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path === ':memory:' || isAbsolute(path) ? path : resolve(path);
}

/** SQLite (better-sqlite3): one file on this machine, the default engine. */
export const sqliteEngine = defineEngine({
  name: 'sqlite',
  label: 'SQLite',
  driver: 'better-sqlite3',
  schemes: [],
  acceptsPath: true,
  config: sqliteConfigSchema,
  env: [{ variable: 'TELECLAUDE_DB_PATH', key: 'path' }],
  capabilities: { networked: false },
  locationConfig: (location, cwd) => ({ path: resolve(cwd, location) }),
  normalize: (block) => ({ ...block, path: expandHome(block.path) }),
  describeLocation: (block) => block.path,
  localFile: (block) => (block.path === ':memory:' ? null : block.path),
  daemonSettings: (block) => ({ settings: { path: block.path }, password: null }),
  secrets: () => [],
  maintenanceIntervalMs: (block) => block.checkpointIntervalMs,
  // Opening a file that is not there would create an empty one.
  missingDatabase: (block) =>
    block.path === ':memory:' || existsSync(block.path)
      ? null
      : new ConfigError('database.sqlite.path', `no database at ${block.path} (nothing was created); check the path, or create it with 'teleclaude-db init'`),
  load: async () => (await import('./sqlite-implementation.js')).sqliteImplementation,
});
