import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_ENGINE, ENGINES, engineForLocation, knownSchemes, type AnyEngine } from '../engines/registry.js';
import { databaseConfigSchema, type DatabaseConfig, type DatabaseConfigInput } from './config-schema.js';

export interface ResolveOptions {
  /** `--config PATH`: must exist when given. */
  configPath?: string;
  /** Explicit settings; they win over the environment and the file. */
  overrides?: DatabaseConfigInput;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Directory for ./teleclaude.yml (default: process.cwd()). */
  cwd?: string;
}

export interface ResolvedConfig {
  database: DatabaseConfig;
  /** The config file read, or null when none was found (zero config). */
  file: string | null;
}

type Plain = Record<string, unknown>;

/**
 * Maps an environment variable to the config key it sets: TELECLAUDE_DB_ENGINE, and each
 * engine's own variables (TELECLAUDE_DB_PATH, PGHOST, ...). DATABASE_URL is read apart:
 * its scheme picks the engine.
 */
const ENV_KEYS: [variable: string, key: string[], numeric?: boolean][] = [
  ['TELECLAUDE_DB_ENGINE', ['engine']],
  ...ENGINES.flatMap((engine) => engine.env.map(({ variable, key, numeric }): [string, string[], boolean?] => [variable, [engine.name, key], numeric])),
];

/**
 * Resolves the `database:` config. Precedence: explicit overrides > environment >
 * config file > defaults. No file and no environment means the default engine (SQLite at
 * ~/.teleclaude/teleclaude.db). `DATABASE_URL` sets the URL of the engine its scheme
 * names (postgresql://, postgres://, ...; an unknown scheme is refused) and selects that
 * engine unless TELECLAUDE_DB_ENGINE sets one.
 */
export function resolveConfig(options: ResolveOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const file = findConfigFile(options.configPath, env, options.cwd ?? process.cwd());
  const fromFile = file ? readDatabaseBlock(file) : {};

  const fromEnv: Plain = {};
  const sources = new Map<string, string>();
  for (const [variable, key, numeric] of ENV_KEYS) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    setPath(fromEnv, key, numeric && /^\d+$/.test(raw) ? Number(raw) : raw);
    sources.set(key.join('.'), variable);
  }
  const url = env.DATABASE_URL ? databaseUrlEngine(env.DATABASE_URL, !env.TELECLAUDE_DB_ENGINE) : null;
  if (url) {
    setPath(fromEnv, [url.name, url.urlKey!], env.DATABASE_URL);
    sources.set(`${url.name}.${url.urlKey}`, 'DATABASE_URL');
    if (!env.TELECLAUDE_DB_ENGINE) fromEnv.engine = url.name;
  }

  const overrides = (options.overrides ?? {}) as Plain;
  let merged = deepMerge(deepMerge(fromFile, fromEnv), overrides);
  let parsed = databaseConfigSchema.safeParse(merged);
  if (!parsed.success) {
    // Another engine's variables (PG* are shared with psql and other tools) are not ours
    // to refuse: the config is read again without them.
    const chosen = typeof merged.engine === 'string' ? merged.engine : DEFAULT_ENGINE;
    const others = ENGINES.filter((e) => e.name !== chosen && fromEnv[e.name] !== undefined);
    if (others.length > 0) {
      const kept = { ...fromEnv, ...Object.fromEntries(others.map((e) => [e.name, undefined])) };
      merged = deepMerge(deepMerge(fromFile, kept), overrides);
      parsed = databaseConfigSchema.safeParse(merged);
    }
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    const source = sources.get(path.join('.'));
    const where = source ? ` (from ${source})` : file ? ` (in ${file})` : '';
    const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    throw new ConfigError(['database', ...path].join('.'), `${message}${where}`);
  }
  const database = parsed.data as DatabaseConfig & Record<string, unknown>;
  for (const engine of ENGINES as readonly AnyEngine[]) database[engine.name] = engine.normalize(database[engine.name]);
  return { database, file };
}

/**
 * The engine DATABASE_URL's scheme names. When it would choose the engine (`selects`), a
 * scheme no engine takes is a ConfigError; when TELECLAUDE_DB_ENGINE chose already, such a
 * DATABASE_URL (shared with other tools) is left alone.
 */
function databaseUrlEngine(url: string, selects: boolean): AnyEngine | null {
  let engine: AnyEngine;
  try {
    engine = engineForLocation(url, 'DATABASE_URL');
  } catch (error) {
    if (selects) throw error;
    return null;
  }
  if (engine.urlKey) return engine;
  if (selects) throw new ConfigError('DATABASE_URL', `must be a URL (${knownSchemes()}), not a file path${engine.env[0] ? `: for ${engine.label} set ${engine.env[0].variable}` : ''}`);
  return null;
}

function findConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (explicit) {
    const path = resolve(cwd, expandHome(explicit));
    if (!existsSync(path)) throw new ConfigError('', `config file ${path} does not exist`);
    return path;
  }
  if (env.TELECLAUDE_CONFIG) {
    const path = resolve(cwd, expandHome(env.TELECLAUDE_CONFIG));
    if (!existsSync(path)) throw new ConfigError('', `config file ${path} (from TELECLAUDE_CONFIG) does not exist`);
    return path;
  }
  for (const candidate of [join(cwd, 'teleclaude.yml'), join(homedir(), '.teleclaude', 'teleclaude.yml')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function readDatabaseBlock(file: string): Plain {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    // Only the first line: the parser's later lines quote the offending text, which may be a password.
    throw new ConfigError('', `cannot read ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new ConfigError('', `${file} must hold a YAML mapping`);
  const block = (document as Plain).database;
  if (block === undefined || block === null) return {};
  if (typeof block !== 'object' || Array.isArray(block)) throw new ConfigError('database', `must be a mapping (in ${file})`);
  return block as Plain;
}

function setPath(target: Plain, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Plain;
  node[path.at(-1)!] = value;
}

function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prior = out[key];
    out[key] =
      isPlain(value) && isPlain(prior) ? deepMerge(prior, value) : value;
  }
  return out;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path === ':memory:' || isAbsolute(path) ? path : resolve(path);
}

export { maskSecrets } from './secrets.js';
