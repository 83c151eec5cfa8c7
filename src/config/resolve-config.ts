import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../domain/errors.js';
import { normalizePostgresUrl } from './secrets.js';
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

/** Maps an environment variable to the config key it sets. */
const ENV_KEYS: [variable: string, key: string[], numeric?: boolean][] = [
  ['TELECLAUDE_DB_ENGINE', ['engine']],
  ['TELECLAUDE_DB_PATH', ['sqlite', 'path']],
  ['DATABASE_URL', ['postgresql', 'url']],
  ['PGHOST', ['postgresql', 'host']],
  ['PGPORT', ['postgresql', 'port'], true],
  ['PGDATABASE', ['postgresql', 'database']],
  ['PGUSER', ['postgresql', 'user']],
  ['PGPASSWORD', ['postgresql', 'password']],
];

/**
 * Resolves the `database:` config. Precedence: explicit overrides > environment >
 * config file > defaults. No file and no environment means SQLite at
 * ~/.teleclaude/teleclaude.db. `DATABASE_URL` selects PostgreSQL unless the engine is
 * set explicitly or by TELECLAUDE_DB_ENGINE.
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
  if (env.DATABASE_URL && !env.TELECLAUDE_DB_ENGINE) fromEnv.engine = 'postgresql';

  let merged = deepMerge(deepMerge(fromFile, fromEnv), (options.overrides ?? {}) as Plain);
  let parsed = databaseConfigSchema.safeParse(merged);
  if (!parsed.success && (merged.engine ?? 'sqlite') === 'sqlite' && fromEnv.postgresql !== undefined) {
    // PG* variables are shared with psql and other tools: on SQLite they are not ours to refuse.
    merged = deepMerge(deepMerge(fromFile, { ...fromEnv, postgresql: undefined }), (options.overrides ?? {}) as Plain);
    parsed = databaseConfigSchema.safeParse(merged);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    const source = sources.get(path.join('.'));
    const where = source ? ` (from ${source})` : file ? ` (in ${file})` : '';
    const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    throw new ConfigError(['database', ...path].join('.'), `${message}${where}`);
  }
  const database = parsed.data;
  database.sqlite.path = expandHome(database.sqlite.path);
  if (database.postgresql.url) database.postgresql.url = normalizePostgresUrl(database.postgresql.url);
  return { database, file };
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
