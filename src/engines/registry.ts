import { mariadbEngine } from '../adapters/mariadb/mariadb-engine.js';
import { postgresEngine } from '../adapters/postgres/postgres-engine.js';
import { sqliteEngine } from '../adapters/sqlite/sqlite-engine.js';
import { secretForms, urlSecrets } from '../config/secrets.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_CAPABILITIES, type Capabilities, type EngineDescriptor } from './engine.js';

/**
 * Every engine of the package, one line each; the first is the default (`database.engine`
 * unset). Adding an engine: its adapter folder with an `<engine>-engine.ts` that exports
 * its descriptor, its migration set, and one line here. Nothing else in `src/` names an
 * engine.
 */
export const ENGINES = [
  sqliteEngine,
  postgresEngine,
  mariadbEngine,
] as const;

/** The name of a registered engine: the values `database.engine` accepts. */
export type EngineName = (typeof ENGINES)[number]['name'];

/** An engine whatever its config block (what code that serves every engine handles). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the block type differs per engine; each engine checks its own
export type AnyEngine = EngineDescriptor<EngineName, any>;

export const ENGINE_NAMES = ENGINES.map((engine) => engine.name) as [EngineName, ...EngineName[]];

export const DEFAULT_ENGINE: EngineName = ENGINES[0].name;

/** The registered engine called `name`; a ConfigError (TC_CONFIG) naming `field` when there is none. */
export function engineNamed(name: string, field = 'database.engine'): AnyEngine {
  const engine = (ENGINES as readonly AnyEngine[]).find((e) => e.name === name);
  if (!engine) throw new ConfigError(field, `unknown engine ${JSON.stringify(name)}; ${engineChoices()}`);
  return engine;
}

/** "must be "sqlite" or "postgresql"": the refusal of a name that is not an engine's. */
export function engineChoices(): string {
  const quoted = ENGINE_NAMES.map((n) => `"${n}"`);
  return `must be ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`}`;
}

/** The engine's capabilities, its own over the defaults. */
export function capabilitiesOf(engine: AnyEngine): Capabilities {
  return { ...DEFAULT_CAPABILITIES, ...engine.capabilities };
}

/** The scheme of a URL (`postgresql` of `postgresql://...`, lower case), or null when `location` is no URL. */
export function urlScheme(location: string): string | null {
  // Two letters at least: `C:\db` and `C:/db` are Windows paths, not URLs of scheme "c".
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(location)?.[1];
  return scheme ? scheme.toLowerCase() : null;
}

/** Every URL scheme some engine recognises, as `postgresql://` (for messages). */
export function knownSchemes(): string {
  return ENGINES.flatMap((e) => e.schemes.map((s) => `${s}://`)).join(', ');
}

/**
 * The engine of a location given on a command line or in DATABASE_URL: a URL names its
 * engine by its scheme (case-insensitive); anything else is a file path, of the engine
 * that accepts paths. A URL whose scheme no engine recognises is a ConfigError naming
 * `field`, never read as a file path.
 */
export function engineForLocation(location: string, field: string): AnyEngine {
  const scheme = urlScheme(location);
  const engines = ENGINES as readonly AnyEngine[];
  if (scheme === null) {
    const engine = engines.find((e) => e.acceptsPath);
    if (!engine) throw new ConfigError(field, `must be a URL (${knownSchemes()}): no engine takes a file path`);
    return engine;
  }
  const engine = engines.find((e) => e.schemes.includes(scheme));
  if (!engine) throw new ConfigError(field, `the URL scheme ${scheme}:// is not one of a known engine (${knownSchemes()})`);
  return engine;
}

/** Every password a resolved config holds, in each form it may be printed in (every engine's block). */
export function configSecrets(config: Record<string, unknown>): string[] {
  return (ENGINES as readonly AnyEngine[]).flatMap((engine) => (config[engine.name] ? engine.secrets(config[engine.name]) : []));
}

/** Passwords in the environment: every engine's secret variable (PGPASSWORD, ...) and DATABASE_URL's. */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  const variables = ENGINES.flatMap((engine) => engine.env.filter((v) => v.secret).map((v) => v.variable));
  return [...variables.flatMap((v) => (env[v] ? secretForms(env[v]) : [])), ...(env.DATABASE_URL ? urlSecrets(env.DATABASE_URL) : [])];
}

/**
 * The environment variables that point a process at `location` of `engine`:
 * TELECLAUDE_DB_ENGINE, and DATABASE_URL for a URL or the engine's variable for the
 * location's key (TELECLAUDE_DB_PATH for an SQLite file).
 */
export function locationEnvironment(engine: AnyEngine, location: string): Record<string, string> {
  if (engine.urlKey && urlScheme(location) !== null) return { TELECLAUDE_DB_ENGINE: engine.name, DATABASE_URL: location };
  const key = Object.keys(engine.locationConfig(location, '/'))[0];
  const variable = engine.env.find((v) => v.key === key)?.variable;
  if (!variable) throw new ConfigError('database.engine', `engine ${engine.name} has no environment variable for a location`);
  return { TELECLAUDE_DB_ENGINE: engine.name, [variable]: location };
}
