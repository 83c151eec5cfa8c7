import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseConfig, DatabaseConfigInput } from '../../config/config-schema.js';
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

/** The `database:` settings a daemon needs to open `target`, the password left out. */
function daemonSettings({ config: target, file }: CopyTarget): { settings: DatabaseConfigInput; password: string | null } {
  if (file !== null) return { settings: { engine: target.engine, sqlite: { path: file } }, password: null };
  const url = new URL(target.postgresql.url!);
  const password = url.password ? decodeURIComponent(url.password) : (url.searchParams.get('password') ?? target.postgresql.password ?? null);
  url.password = '';
  url.searchParams.delete('password');
  const schema = target.postgresql.schema === 'public' ? {} : { schema: target.postgresql.schema };
  return { settings: { engine: target.engine, postgresql: { url: url.toString(), ...schema } }, password };
}

/**
 * Writes the teleclaude.yml that points a daemon at `target`, as a new file (O_EXCL, not
 * through a symbolic link, mode 0600). A password is never written: the daemon takes it
 * from PGPASSWORD. Returns whether the target needs one.
 */
export function writeConfig(path: string, target: CopyTarget, source: string): { needsPassword: boolean } {
  const { settings, password } = daemonSettings(target);
  const lines = [
    `# Written by \`teleclaude-db copy\` on ${new Date().toISOString()}: the database copied from`,
    `# ${source}.`,
    ...(password !== null ? ['# The password is not stored here: the daemon reads it from PGPASSWORD in its environment.'] : []),
    'database:',
    `  engine: ${settings.engine}`,
    ...(settings.sqlite ? ['  sqlite:', `    path: ${JSON.stringify(settings.sqlite.path)}`] : []),
    ...(settings.postgresql ? ['  postgresql:', `    url: ${JSON.stringify(settings.postgresql.url)}`] : []),
    ...(settings.postgresql?.schema ? [`    schema: ${settings.postgresql.schema}`] : []),
    '',
  ];
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, lines.join('\n'));
  } finally {
    closeSync(fd);
  }
  return { needsPassword: password !== null };
}

/**
 * Opens the copied target the way the daemon opens it (`openStore`: config file or
 * settings, instance lock taken, migrations checked) and lists its sessions; closes it
 * again (the lock is released). With `configPath`, only that file (and PGPASSWORD) is
 * used, so the check proves the written config works.
 */
export async function openAsDaemon(target: CopyTarget, configPath: string | null, io: Io): Promise<string> {
  const { settings, password } = daemonSettings(target);
  const env = { PGPASSWORD: io.env.PGPASSWORD ?? password ?? undefined };
  const store = await openStore(configPath ? { configPath, env, cwd: io.cwd } : { overrides: settings, env, cwd: io.cwd });
  try {
    const total = await store.repositories.sessions.count();
    const open = await store.repositories.sessions.list();
    return `opened ${store.location} as the daemon does (openStore: instance lock taken and released, migrations current${configPath ? `, config ${configPath}` : ''}): ${total} session(s), ${open.length} open session(s) listed`;
  } finally {
    await store.close();
  }
}

/** How to go back to the source after moving to the target. */
export function rollbackSteps(source: string, kind: 'legacy' | 'sqlite' | 'postgresql', configPath: string | null): string[] {
  const back = {
    legacy: `start the older TeleClaude daemon from ${dirname(source)} again: it still uses ${source}`,
    sqlite: `point the config back at it (database.sqlite.path: ${source}, or TELECLAUDE_DB_PATH) and unset DATABASE_URL`,
    postgresql: `point the config back at it (database.postgresql.url, or DATABASE_URL: ${source})`,
  }[kind];
  return [
    `rollback: ${source} was only read and is unchanged. To go back:`,
    '  1. stop the daemon;',
    `  2. ${back}${configPath && kind !== 'legacy' ? ` instead of using ${configPath}` : ''};`,
    '  3. start the daemon. Rows written to the new database since the copy are not carried back.',
  ];
}
