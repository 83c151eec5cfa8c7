import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveConfig } from '../../config/resolve-config.js';
import type { Io, Values } from '../command.js';

/** The older daemon's pid file, beside its database; it holds an exclusive flock on it while it runs. */
export const LEGACY_PID_FILE = 'teleclaude.pid';

/** An installation's database file and why it was chosen. */
export interface Installation {
  file: string;
  reason: string;
}

/**
 * Where an installation may be, in order: the SQLite path the config names explicitly
 * (TELECLAUDE_DB_PATH, or `database.sqlite.path` in the config file; a default is no
 * evidence), `./teleclaude.db` (the older daemon keeps its file in its checkout), and
 * `~/.teleclaude/teleclaude.db` (this package's default).
 */
function candidates(values: Values, io: Io): Installation[] {
  const found: Installation[] = [];
  if (io.env.TELECLAUDE_DB_PATH) {
    found.push({ file: resolve(io.cwd, io.env.TELECLAUDE_DB_PATH), reason: 'named by TELECLAUDE_DB_PATH' });
  } else {
    const { database, file } = resolveConfig({
      configPath: values.config as string | undefined,
      env: { TELECLAUDE_CONFIG: io.env.TELECLAUDE_CONFIG },
      cwd: io.cwd,
    });
    if (file && namesSqlitePath(file)) found.push({ file: database.sqlite.path, reason: `named by database.sqlite.path in ${file}` });
  }
  found.push({ file: join(io.cwd, 'teleclaude.db'), reason: 'in the working directory' });
  found.push({ file: join(io.env.HOME || homedir(), '.teleclaude', 'teleclaude.db'), reason: "at this package's default location" });
  return found;
}

function namesSqlitePath(configFile: string): boolean {
  const document = parseYaml(readFileSync(configFile, 'utf8')) as { database?: { sqlite?: { path?: unknown } } } | null;
  return typeof document?.database?.sqlite?.path === 'string';
}

/**
 * The one installation `copy` without `--from` copies: the candidates that exist (one
 * file counted once, however it is reached; the target never counts). Refuses none and
 * more than one, naming every place looked at.
 */
export function findInstallation(values: Values, io: Io, target: string | null): Installation {
  const looked = candidates(values, io);
  const targetReal = target && existsSync(target) ? realpathSync(target) : target;
  const seen = new Set<string>();
  const found = looked.filter((candidate) => {
    if (!existsSync(candidate.file) || !statSync(candidate.file).isFile()) return false;
    const real = realpathSync(candidate.file);
    if (seen.has(real) || real === targetReal) return false;
    seen.add(real);
    return true;
  });
  const list = (items: Installation[]) => items.map((i) => `${i.file} (${i.reason})`).join(', ');
  if (found.length === 0) throw new Error(`found no installation to copy: looked at ${list(looked)}; name it with --from SOURCE`);
  if (found.length > 1) throw new Error(`found ${found.length} installations: ${list(found)}; choose one with --from SOURCE`);
  return found[0]!;
}

/**
 * Who holds a lock on `file`, read without taking one: `{ pid }` (pid 0 when the holder
 * is not known), or null when nobody does or the file does not exist. On Linux the
 * kernel lists every lock in /proc/locks by device and inode; elsewhere a shared
 * non-blocking flock is tried through util-linux `flock` or python3 and released at
 * once (it fails exactly while somebody holds an exclusive one). Throws when none of the
 * three is available, rather than guess.
 */
export function lockHolder(file: string, options: { procLocks?: string } = {}): { pid: number } | null {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return null;
  }
  const procLocks = options.procLocks ?? '/proc/locks';
  if (existsSync(procLocks)) {
    // `1: FLOCK  ADVISORY  WRITE 14917 fe:00:2146385 0 EOF`: major and minor in hex, inode in decimal.
    const device = `${major(stats.dev).toString(16).padStart(2, '0')}:${minor(stats.dev).toString(16).padStart(2, '0')}`;
    let sameInode: number | null = null;
    for (const line of readFileSync(procLocks, 'utf8').split('\n')) {
      const match = /(?:FLOCK|POSIX|OFDLCK)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+:[0-9a-f]+):(\d+)\s/.exec(line);
      if (!match || line.includes('->') || match[3] !== String(stats.ino)) continue;
      const pid = Math.max(0, Number(match[1]));
      if (match[2] === device) return { pid };
      sameInode ??= pid;
    }
    if (sameInode === null) return null;
    // Some file systems (btrfs subvolumes) list another device number than stat() gives:
    // the same inode number elsewhere may be this file, so ask flock itself.
    const tried = tryShared(file);
    return tried === undefined ? { pid: sameInode } : tried;
  }
  const tried = tryShared(file);
  if (tried === undefined) throw new Error(`cannot tell whether a process holds a lock on ${file} (no /proc/locks, util-linux flock or python3)`);
  return tried;
}

/** A shared non-blocking flock tried and released: the holder, null when free, undefined when no tool could try. */
function tryShared(file: string): { pid: number } | null | undefined {
  const tries: [string, string[]][] = [
    ['flock', ['--nonblock', '--shared', '--conflict-exit-code', '75', file, 'true']],
    ['python3', ['-c', 'import fcntl,sys\nf=open(sys.argv[1],"rb")\ntry: fcntl.flock(f,fcntl.LOCK_SH|fcntl.LOCK_NB)\nexcept BlockingIOError: sys.exit(75)', file]],
  ];
  for (const [command, args] of tries) {
    const run = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    if (run.error || run.status === null) continue;
    if (run.status === 75) return { pid: pidIn(file) };
    if (run.status === 0) return null;
  }
  return undefined;
}

function pidIn(file: string): number {
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

/** Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31. */
function major(dev: number): number {
  return ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
}

function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** Refuses while the older daemon runs beside `databaseFile`: it holds a flock on its pid file. */
export function refuseWhileLegacyDaemonRuns(databaseFile: string): void {
  const pidFile = join(dirname(databaseFile), LEGACY_PID_FILE);
  const holder = lockHolder(pidFile);
  if (holder) {
    const who = holder.pid > 0 ? `pid ${holder.pid}` : 'a process';
    throw new Error(`the TeleClaude daemon is running (${who} holds the lock on ${pidFile}); stop it before copying its database`);
  }
}
