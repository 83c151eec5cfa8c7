import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseConfig, DatabaseConfigInput } from '../../config/config-schema.js';
import { engineNamed, type AnyEngine } from '../../engines/registry.js';
import { openStore } from '../../open-store.js';
import type { Io } from '../command.js';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = constants;

/** `--write-config PATH` resolved; refused before the copy starts when anything is there already. */
export function checkConfigPath(path: string, io: Io): string {
  const absolute = resolve(io.cwd, path);
  let exists = true;
  try {
    lstatSync(absolute);
  } catch {
    exists = false;
  }
  if (exists) throw new Error(`--write-config ${absolute}: the file exists and is never overwritten; pass a new path`);
  try {
    if (!lstatSync(dirname(absolute)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new Error(`--write-config ${absolute}: its directory ${dirname(absolute)} does not exist`);
  }
  return absolute;
}

/** The copy's target: its resolved config, and its file when it is one (else a URL). */
export interface CopyTarget {
  config: DatabaseConfig;
  file: string | null;
}

/** The environment variable a daemon of `engine` takes its password from (PGPASSWORD, ...), or null. */
function passwordVariable(engine: AnyEngine): string | null {
  return engine.env.find((v) => v.secret)?.variable ?? null;
}

/** The `database:` settings a daemon needs to open `target`, the password left out. */
function daemonSettings({ config }: CopyTarget): { engine: AnyEngine; settings: Record<string, unknown>; password: string | null } {
  const engine = engineNamed(config.engine);
  return { engine, ...engine.daemonSettings((config as unknown as Record<string, unknown>)[engine.name]) };
}

/**
 * Writes the teleclaude.yml that points a daemon at `target`, as a new file (O_EXCL, not
 * through a symbolic link, mode 0600). A password is never written: the daemon takes it
 * from the engine's password variable (PGPASSWORD, ...). Returns that variable when the
 * target needs a password, else null.
 */
export function writeConfig(path: string, target: CopyTarget, source: string): { passwordFrom: string | null } {
  const { engine, settings, password } = daemonSettings(target);
  const passwordFrom = password !== null ? (passwordVariable(engine) ?? 'the environment') : null;
  const lines = [
    `# Written by \`teleclaude-db copy\` on ${new Date().toISOString()}: the database copied from`,
    `# ${source}.`,
    ...(passwordFrom !== null ? [`# The password is not stored here: the daemon reads it from ${passwordFrom} in its environment.`] : []),
    'database:',
    `  engine: ${engine.name}`,
    `  ${engine.name}:`,
    ...Object.entries(settings).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`),
    '',
  ];
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, lines.join('\n'));
  } finally {
    closeSync(fd);
  }
  return { passwordFrom };
}

/** How many open sessions the check after a copy lists (read and decoded in full). */
const LISTED = 100;

/**
 * Opens the copied target the way the daemon opens it (`openStore`: config file or
 * settings, instance lock taken, migrations checked) and lists its open sessions (at most LISTED); closes it
 * again (the lock is released). With `configPath`, only that file (and PGPASSWORD) is
 * used, so the check proves the written config works.
 */
export async function openAsDaemon(target: CopyTarget, configPath: string | null, io: Io): Promise<string> {
  const { engine, settings, password } = daemonSettings(target);
  const variable = passwordVariable(engine);
  const env = variable ? { [variable]: io.env[variable] ?? password ?? undefined } : {};
  const overrides = { engine: engine.name, [engine.name]: settings } as DatabaseConfigInput;
  const store = await openStore(configPath ? { configPath, env, cwd: io.cwd } : { overrides, env, cwd: io.cwd });
  try {
    const total = await store.repositories.sessions.count();
    // The daemon's listing, bounded: every open session of a large installation would
    // be held in memory at once, and the copy's memory should not grow with the data.
    const open = await store.repositories.sessions.list({ limit: LISTED });
    const listed = open.length === LISTED ? `the ${LISTED} open sessions of newest activity listed` : `${open.length} open session(s) listed`;
    return `opened ${store.location} as the daemon does (openStore: instance lock taken and released, migrations current${configPath ? `, config ${configPath}` : ''}): ${total} session(s), ${listed}`;
  } finally {
    await store.close();
  }
}

/**
 * How to go back to the source after moving to the target: `legacy`, the older daemon's
 * file; otherwise the source's engine, pointed at by its URL or path key.
 */
export function rollbackSteps(source: string, from: 'legacy' | AnyEngine, configPath: string | null): string[] {
  let back: string;
  if (from === 'legacy') back = `start the older TeleClaude daemon from ${dirname(source)} again: it still uses ${source}`;
  else if (from.urlKey) back = `point the config back at it (database.${from.name}.${from.urlKey}, or DATABASE_URL: ${source})`;
  else {
    const key = Object.keys(from.locationConfig(source, '/'))[0] ?? 'path';
    const variable = from.env.find((v) => v.key === key)?.variable;
    back = `point the config back at it (database.${from.name}.${key}: ${source}${variable ? `, or ${variable}` : ''}) and unset DATABASE_URL`;
  }
  return [
    `rollback: ${source} was only read and is unchanged. To go back:`,
    '  1. stop the daemon;',
    `  2. ${back}${configPath && from !== 'legacy' ? ` instead of using ${configPath}` : ''};`,
    '  3. start the daemon. Rows written to the new database since the copy are not carried back.',
  ];
}
