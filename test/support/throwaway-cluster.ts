import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A private PostgreSQL cluster (initdb + pg_ctl in a temp directory, on a free port) for
 * tests that stop, restart or kill a server, or need password authentication: the shared
 * server that other test files use is never touched.
 */
export interface ThrowawayCluster {
  port: number;
  /** The cluster's data directory (owned by the server's user), e.g. to write pg_hba.conf. */
  dataDir: string;
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

export function binDir(): string {
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    throw new Error(`no PostgreSQL server binaries under ${root} (initdb, pg_ctl) to start a throwaway cluster`);
  }
  if (versions.length === 0) throw new Error(`no PostgreSQL version under ${root}`);
  return join(root, versions[0]!, 'bin');
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

/** initdb refuses to run as root; run the server tools as the postgres user then. */
export function run(tool: string, args: string[]): void {
  const bin = join(binDir(), tool);
  if (userInfo().uid === 0) execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' });
  else execFileSync(bin, args, { stdio: 'pipe' });
}

export async function startThrowawayCluster(options: { password?: string } = {}): Promise<ThrowawayCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-cluster-'));
  const data = join(dir, 'data');
  if (userInfo().uid === 0) {
    const pgUser = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const pgGroup = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, pgUser, pgGroup);
  }
  chmodSync(dir, 0o700);
  const initArgs = ['-D', data, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'];
  if (options.password) {
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, options.password, { mode: 0o600 });
    if (userInfo().uid === 0) execFileSync('chown', ['postgres', pwfile]);
    initArgs.push('--auth=scram-sha-256', `--pwfile=${pwfile}`);
  } else {
    initArgs.push('--auth=trust');
  }
  run('initdb', initArgs);
  const port = await freePort();
  const log = join(dir, 'server.log');
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const cluster: ThrowawayCluster = {
    port,
    dataDir: data,
    url: `postgresql://postgres${options.password ? `:${encodeURIComponent(options.password)}` : ''}@127.0.0.1:${port}/postgres`,
    start: () => run('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start']),
    stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']),
    restart(mode = 'fast') {
      if (mode === 'immediate') {
        run('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-m', 'immediate', '-w', '-t', '60', 'restart']);
        return;
      }
      cluster.stop('fast');
      cluster.start();
    },
    reload: () => run('pg_ctl', ['-D', data, 'reload']),
    destroy() {
      try {
        cluster.stop('immediate');
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
