/**
 * The daemon's own workload, the seeds' "10 concurrent sessions, 1000 messages each" on
 * SQLite and PostgreSQL: the message cycle of bench/daemon-bench-worker.ts (enqueue an
 * inbound message, claim it, update the session, mark it delivered, enqueue a hook event)
 * run by 1 and by 4 worker processes (the sessions split between them), with every
 * statement committing on its own and with one transaction per cycle, through this
 * package's repositories and as the same statements on the raw driver. Each side's worker
 * processes start once per variant, open their database and warm up, and keep it open for
 * every round, as the daemon keeps its store (bench/daemon-bench-worker.ts); the two sides
 * run back to back, in alternating order, their queues emptied before each round,
 * BENCH_DAEMON_ROUNDS times (default 9 on SQLite, 3 on PostgreSQL); cycles/s is the median
 * of the rounds, p50/p99 over every cycle of every round.
 *
 * BENCH_DAEMON_MESSAGES (default 1000) sets the messages per session, e.g. 100 for a quick run;
 * BENCH_DAEMON_ENGINES=sqlite (or postgresql) runs one engine only (its targets are printed,
 * the SQLite-vs-PostgreSQL table is not); BENCH_DAEMON_PROCESSES (default 1,4) and
 * BENCH_DAEMON_COMMITS (default autocommit,transaction) narrow a run to some of the variants
 * (the targets of the others are then not printed). BENCH_DAEMON_RAW_CHECKPOINT=thread gives
 * the raw SQLite connection the store's checkpointing thread (by default it checkpoints as
 * SQLite does, in the commit), so the sides differ by the repositories alone.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import type { Store } from '../src/ports/store.js';
import type { DaemonWorkerResult, DaemonWorkerSpec } from './daemon-bench-worker.js';
import { benchPgDatabase, benchSqlitePath } from './databases.js';
import { median, printTable, target } from './report.js';

const SESSIONS = 10;
const MESSAGES = Number(process.env.BENCH_DAEMON_MESSAGES ?? 1000);
/** Rounds per variant: BENCH_DAEMON_ROUNDS, else 9 on SQLite (a side's round takes seconds) and 3 on PostgreSQL (15-35 seconds). */
const roundsOf = (engine: Engine): number => Number(process.env.BENCH_DAEMON_ROUNDS ?? (engine === 'sqlite' ? 9 : 3));
const PROCESSES = (process.env.BENCH_DAEMON_PROCESSES ?? '1,4').split(',').map(Number);
const ENGINES = (process.env.BENCH_DAEMON_ENGINES ?? 'sqlite,postgresql').split(',').map((e) => e.trim()) as Engine[];
const MODES = (process.env.BENCH_DAEMON_COMMITS ?? 'autocommit,transaction').split(',').map((m) => m.trim() === 'transaction');
const workerScript = fileURLToPath(new URL('./daemon-bench-worker.ts', import.meta.url));

type Engine = DaemonWorkerSpec['engine'];
type Impl = DaemonWorkerSpec['impl'];
type Child = ChildProcessByStdio<Writable, Readable, Readable>;

interface RunResult {
  cyclesPerSecond: number;
  cycleMs: number[];
  /** CPU time of all workers per cycle, microseconds. */
  cpuUsPerCycle: number;
  missed: number;
  /** Why a worker failed (an error escaped), or null. */
  failure: string | null;
}

/** One line at a time from a worker's stdout; `exit CODE` when it ended without another line. */
function lines(child: Child): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  const deliver = (line: string) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  };
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const line of parts) deliver(line);
  });
  child.on('close', (code) => deliver(`exit ${code}`));
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)));
}

async function reap(children: Child[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The worker processes of one side (repository or raw) of one variant, alive for all its rounds. */
interface Side {
  children: Child[];
  next: (() => Promise<string>)[];
  stderr: string[];
  /** Why the side cannot run more rounds (a worker failed), or null. */
  failure: string | null;
}

/** Starts `processes` workers on the sessions and waits until every one has warmed up on `target`. */
async function startSide(engine: Engine, impl: Impl, tx: boolean, processes: number, target: string, sessions: string[]): Promise<Side> {
  const side: Side = { children: [], next: [], stderr: [], failure: null };
  for (let k = 0; k < processes; k++) {
    const spec: DaemonWorkerSpec = { engine, target, impl, tx, sessions: sessions.filter((_, i) => i % processes === k), messages: MESSAGES };
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => side.stderr.push(chunk));
    side.children.push(child);
    side.next.push(lines(child));
  }
  for (const next of side.next) {
    const line = await next();
    if (line !== 'ready') {
      await reap(side.children);
      throw new Error(`daemon bench worker did not start (${line}): ${side.stderr.join('')}`);
    }
  }
  return side;
}

/** One timed round of a side (its queues emptied before). */
async function runRound(side: Side, sessions: number): Promise<RunResult> {
  const failed = (failure: string): RunResult => ({ cyclesPerSecond: Number.NaN, cycleMs: [], cpuUsPerCycle: Number.NaN, missed: 0, failure });
  if (side.failure !== null) return failed(side.failure);
  const start = process.hrtime.bigint();
  for (const child of side.children) child.stdin.write('go\n');
  const outcomes = await Promise.all(side.next.map((next) => next()));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bad = outcomes.find((line) => !line.startsWith('done '));
  if (bad) {
    side.failure = side.stderr.join('').trim().split('\n')[0] || bad;
    await reap(side.children);
    return failed(side.failure);
  }
  const results = outcomes.map((line) => JSON.parse(line.slice(5)) as DaemonWorkerResult);
  return {
    cyclesPerSecond: (sessions * MESSAGES) / seconds,
    cycleMs: results.flatMap((r) => r.cycleMs),
    cpuUsPerCycle: results.reduce((a, r) => a + r.cpuUs, 0) / (sessions * MESSAGES),
    missed: results.reduce((a, r) => a + r.missed, 0),
    failure: null,
  };
}

interface Subject {
  engine: Engine;
  /** A database with the schema and the sessions for one side of a variant; returns where it is. */
  target(): Promise<string>;
  /** Empties the queues of the database at `target` before a round (the sessions stay). */
  empty(target: string): Promise<void>;
  sessions: string[];
  close(): Promise<void>;
}

async function createSessions(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) ids.push((await store.repositories.sessions.create({ computerName: 'bench', title: `session ${i}` })).id);
  return ids;
}

async function sqliteSubject(): Promise<Subject> {
  const template = benchSqlitePath();
  const store = new SqliteStore({ path: template.path });
  await store.migrator.up();
  const sessions = await createSessions(store);
  // Closing checkpoints the WAL: the file alone is the template every side copies.
  await store.close();
  let side = 0;
  return {
    engine: 'sqlite',
    sessions,
    target: async () => {
      const path = `${template.path}.side${side++}`;
      copyFileSync(template.path, path);
      return path;
    },
    empty: async (path) => {
      // On a connection of its own while the side's workers sit idle between rounds;
      // VACUUM gives the side back a compact file, as a fresh copy would be.
      const db = new Database(path);
      try {
        db.pragma('busy_timeout = 5000');
        db.exec("DELETE FROM inbound_queue; DELETE FROM hook_outbox; DELETE FROM sqlite_sequence WHERE name IN ('inbound_queue', 'hook_outbox'); VACUUM");
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
    close: async () => template.remove(),
  };
}

async function postgresSubject(): Promise<Subject> {
  const db = await benchPgDatabase();
  const store = new PostgresStore({ url: db.url }, 'bench');
  await store.migrator.up();
  const sessions = await createSessions(store);
  return {
    engine: 'postgresql',
    sessions,
    target: async () => db.url,
    empty: async () => {
      await store.database.query('TRUNCATE inbound_queue, hook_outbox RESTART IDENTITY');
      await store.database.query('VACUUM ANALYZE sessions');
    },
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Summary {
  engine: Engine;
  impl: Impl;
  tx: boolean;
  processes: number;
  cyclesPerSecond: number;
  /** Median over the rounds of the workers' CPU time per cycle, microseconds. */
  cpuUs: number;
  p50: number;
  p99: number;
  missed: number;
  failures: string[];
  /** Every round's result, in round order (a failed round's is NaN), to pair with the other side's. */
  roundCyclesPerSecond: number[];
  roundCpuUs: number[];
}

/**
 * The median over the rounds of own/raw, each round's two runs paired: they ran back to
 * back (in alternating order), so a slower or faster spell of the machine, which moves
 * both alike, cancels out of the ratio instead of landing on one side of it.
 */
function pairedRatios(own: number[], raw: number[]): number[] {
  return own.map((value, i) => value / raw[i]!).filter((ratio) => Number.isFinite(ratio));
}

function summarise(engine: Engine, impl: Impl, tx: boolean, processes: number, runs: RunResult[]): Summary {
  const ok = runs.filter((r) => r.failure === null);
  const all = ok.flatMap((r) => r.cycleMs).sort((a, b) => a - b);
  return {
    engine,
    impl,
    tx,
    processes,
    cyclesPerSecond: median(ok.map((r) => r.cyclesPerSecond)),
    cpuUs: median(ok.map((r) => r.cpuUsPerCycle)),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    missed: ok.reduce((a, r) => a + r.missed, 0),
    failures: runs.flatMap((r) => (r.failure === null ? [] : [r.failure])),
    roundCyclesPerSecond: runs.map((r) => r.cyclesPerSecond),
    roundCpuUs: runs.map((r) => r.cpuUsPerCycle),
  };
}

export default async function daemon(): Promise<void> {
  const summaries: Summary[] = [];
  const subjects = { sqlite: sqliteSubject, postgresql: postgresSubject };
  for (const engine of ENGINES) {
    const make = subjects[engine];
    if (!make) throw new Error(`BENCH_DAEMON_ENGINES: unknown engine ${engine} (sqlite, postgresql)`);
    const subject = await make();
    const rounds = roundsOf(engine);
    try {
      for (const tx of MODES) {
        for (const processes of PROCESSES) {
          const runs: Record<Impl, RunResult[]> = { repository: [], raw: [] };
          // Each side starts and warms up once (one after the other), with a database of its
          // own on SQLite; before each of its rounds its queues are emptied.
          const sides: Partial<Record<Impl, Side>> = {};
          const targets: Partial<Record<Impl, string>> = {};
          try {
            for (const impl of ['repository', 'raw'] as const) {
              targets[impl] = await subject.target();
              sides[impl] = await startSide(subject.engine, impl, tx, processes, targets[impl], subject.sessions);
            }
            for (let round = 0; round < rounds; round++) {
              const order: Impl[] = round % 2 === 0 ? ['repository', 'raw'] : ['raw', 'repository'];
              for (const impl of order) {
                await subject.empty(targets[impl]!);
                runs[impl].push(await runRound(sides[impl]!, subject.sessions.length));
              }
            }
          } finally {
            await Promise.all(Object.values(sides).map((side) => reap(side.children)));
          }
          for (const impl of ['repository', 'raw'] as const) summaries.push(summarise(subject.engine, impl, tx, processes, runs[impl]));
        }
      }
    } finally {
      await subject.close();
    }
  }
  report(summaries);
}

const modeName = (tx: boolean) => (tx ? 'transaction per cycle' : 'autocommit');

function report(summaries: Summary[]): void {
  const find = (engine: Engine, impl: Impl, tx: boolean, processes: number) =>
    summaries.find((s) => s.engine === engine && s.impl === impl && s.tx === tx && s.processes === processes)!;
  const rows: (string | number)[][] = [];
  for (const engine of ENGINES) {
    for (const tx of MODES) {
      for (const processes of PROCESSES) {
        const own = find(engine, 'repository', tx, processes);
        const raw = find(engine, 'raw', tx, processes);
        const rounds = pairedRatios(own.roundCyclesPerSecond, raw.roundCyclesPerSecond);
        rows.push([
          engine,
          modeName(tx),
          processes,
          own.cyclesPerSecond,
          raw.cyclesPerSecond,
          `${median(rounds).toFixed(2)}x`,
          rounds.map((r) => r.toFixed(2)).join(' '),
          own.cpuUs,
          raw.cpuUs,
          `${median(pairedRatios(raw.roundCpuUs, own.roundCpuUs)).toFixed(2)}x`,
          own.p50,
          own.p99,
          raw.p50,
          raw.p99,
          `${(own.p99 / raw.p99).toFixed(2)}x`,
          own.missed + raw.missed,
        ]);
      }
    }
  }
  printTable(
    `Daemon message cycle: ${SESSIONS} sessions x ${MESSAGES.toLocaleString('en-US')} messages (enqueue, claim, update session, mark delivered, enqueue hook event); cycles/s median of the rounds (${ENGINES.map((e) => `${e} ${roundsOf(e)}`).join(', ')}); cycle ms = time between a session's consecutive cycles`,
    ['engine', 'commits', 'procs', 'pkg cycles/s', 'raw cycles/s', 'pkg/raw', 'per round', 'pkg CPU µs', 'raw CPU µs', 'raw/pkg CPU', 'pkg p50', 'pkg p99', 'raw p50', 'raw p99', 'p99 pkg/raw', 'missed'],
    rows,
  );
  console.log('  pkg/raw: the median of the rounds\' ratios (per round: each round runs both sides back to back, in alternating order, so a slow or fast spell of the machine moves both alike).');
  console.log('  CPU µs: CPU time (user + system) of all worker processes per cycle, median of the rounds; raw/pkg CPU is the CPU-bound ratio (paired by round likewise), which other load on the machine disturbs far less than cycles/s.');
  console.log('  missed: claims that found nothing although the message was waiting (0 expected).');
  if (ENGINES.includes('sqlite')) {
    console.log(
      process.env.BENCH_DAEMON_RAW_CHECKPOINT === 'thread'
        ? "  raw SQLite checkpoints the WAL from the store's thread (BENCH_DAEMON_RAW_CHECKPOINT=thread), as the store does."
        : "  raw SQLite checkpoints the WAL as SQLite does by default, in the commit; the store from a worker thread (BENCH_DAEMON_RAW_CHECKPOINT=thread gives raw the same).",
    );
  }
  const failures = summaries.flatMap((s) => s.failures.map((f) => `${s.engine} ${s.impl} ${modeName(s.tx)} ${s.processes} process(es): ${f}`));
  for (const f of failures) console.log(`  FAILED ${f}`);
  if (ENGINES.includes('sqlite') && ENGINES.includes('postgresql')) {
    printTable(
      "SQLite vs PostgreSQL, this package (the seeds' benchmark): cycles/s",
      ['commits', 'procs', 'SQLite', 'PostgreSQL', 'SQLite/PostgreSQL'],
      MODES.flatMap((tx) =>
        PROCESSES.map((processes) => {
          const s = find('sqlite', 'repository', tx, processes).cyclesPerSecond;
          const p = find('postgresql', 'repository', tx, processes).cyclesPerSecond;
          return [modeName(tx), processes, s, p, `${(s / p).toFixed(2)}x`];
        }),
      ),
    );
  }
  if (!ENGINES.includes('sqlite')) return;
  const targets: [string, boolean][] = [];
  for (const tx of MODES) {
    for (const processes of PROCESSES) {
      const own = find('sqlite', 'repository', tx, processes);
      const raw = find('sqlite', 'raw', tx, processes);
      const goal = tx ? 0.9 : 0.95;
      const ratio = median(pairedRatios(own.roundCyclesPerSecond, raw.roundCyclesPerSecond));
      targets.push([`SQLite, ${modeName(tx)}, ${processes} process(es): cycles/s >= ${goal}x raw (${ratio.toFixed(2)}x)`, ratio >= goal && own.failures.length === 0]);
    }
    if (!PROCESSES.includes(4)) continue;
    const own = find('sqlite', 'repository', tx, 4);
    const raw = find('sqlite', 'raw', tx, 4);
    const p99 = own.p99 / raw.p99;
    targets.push([`SQLite, ${modeName(tx)}, 4 processes: p99 <= 1.5x raw's (${own.p99.toFixed(2)} ms vs ${raw.p99.toFixed(2)} ms, ${p99.toFixed(2)}x)`, p99 <= 1.5]);
  }
  targets.push(['no error escaped and no claim missed', failures.length === 0 && summaries.every((s) => s.missed === 0)]);
  console.log('\nTargets');
  for (const [text, met] of targets) console.log(`  ${target(met).padEnd(7)}  ${text}`);
}
