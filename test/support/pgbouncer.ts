import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A PgBouncer (Debian's `pgbouncer`, 1.18 in CI) in transaction pooling mode with its
 * default settings otherwise (no `ignore_startup_parameters`), started as a child process
 * on a free port in front of one PostgreSQL server. Every database of that server is
 * reachable through it (the `*` fallback entry), so tests can create databases on the fly.
 */
export interface PgBouncer {
  port: number;
  /** `url` (a URL of the server behind it) rewritten to go through the pooler. */
  through(url: string): string;
  /** The pooler's log so far (why it refused something). */
  log(): string;
  stop(): Promise<void>;
}

const BINARY = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

/** Why PgBouncer cannot be started here, or null when it can. */
export function pgbouncerUnavailable(): string | null {
  return BINARY.some((b) => existsSync(b)) ? null : 'no pgbouncer binary (apt-get install pgbouncer; .ci/run installs it)';
}

async function freePort(): Promise<number> {
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

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts PgBouncer in front of the server of `serverUrl` (trust authentication towards
 * the clients; the server's own authentication applies behind it). PgBouncer refuses to
 * run as root, so under root it runs as the `postgres` user.
 */
export async function startPgBouncer(
  serverUrl: string,
  settings: Record<string, string | number> = {},
): Promise<PgBouncer> {
  const binary = BINARY.find((b) => existsSync(b));
  if (!binary) throw new Error(pgbouncerUnavailable()!);
  const server = new URL(serverUrl);
  const dir = mkdtempSync(join(tmpdir(), 'tc-pgbouncer-'));
  const port = await freePort();
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const target = `host=${server.hostname} port=${server.port || 5432}${password ? ` user=${user} password=${password}` : ''}`;
  const ini = {
    listen_addr: '127.0.0.1',
    listen_port: port,
    unix_socket_dir: '',
    auth_type: 'trust',
    auth_file: join(dir, 'userlist.txt'),
    pool_mode: 'transaction',
    logfile: join(dir, 'pgbouncer.log'),
    pidfile: join(dir, 'pgbouncer.pid'),
    // Tests open many pools at once; PgBouncer's other defaults stay as they are.
    max_client_conn: 1000,
    ...settings,
  };
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    `[databases]\n* = ${target}\n\n[pgbouncer]\n${Object.entries(ini)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`,
  );
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  let uid: number | undefined;
  let gid: number | undefined;
  if (userInfo().uid === 0) {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(join(dir, f), uid, gid);
  }
  const child: ChildProcess = spawn(binary, [join(dir, 'pgbouncer.ini')], { uid, gid, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const log = () => {
    try {
      return readFileSync(ini.logfile, 'utf8');
    } catch {
      return stderr;
    }
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start: ${stderr || log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    through(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      parsed.password = '';
      return parsed.toString();
    },
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
