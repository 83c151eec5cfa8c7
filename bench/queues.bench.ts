/**
 * River-style burn-down of the hook outbox: N due rows, drained by 1 and 4 worker processes
 * (claimBatch + one markDeliveredMany per batch), on each engine, next to a reference on the
 * raw driver doing the same claim work and, on the same PostgreSQL server (each in a database
 * of its own) with the same rows, batch and workers, pg-boss (fetch/complete with batchSize)
 * and graphile-worker (a task that does nothing, concurrency = batch). Then enqueue-to-start
 * latency: a steady trickle of single enqueues while the workers wait (this package:
 * `store.waitForWork`; the peers: their own wake-up), p50/p99.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createStore } from '../src/container.js';
import { ENGINES, engineNamed } from '../src/engines/registry.js';
import type { Store } from '../src/ports/store.js';
import { benchPgDatabase } from './databases.js';
import { BENCH_ENGINES } from './engines.js';
import { nowMs, PEER_QUEUE, type BenchWorkerSpec } from './queue-bench-shared.js';
import { printTable, target } from './report.js';

/** BENCH_QUEUE_ROWS overrides the row count (e.g. a quick check of the section). */
const ROWS = Number(process.env.BENCH_QUEUE_ROWS ?? 20_000);
const BATCH = 20;
const WORKERS = [1, 4] as const;
/** Latency phase: this many single enqueues, one every TRICKLE_MS. */
const TRICKLE_ROWS = 100;
const TRICKLE_MS = 20;
const workerScript = fileURLToPath(new URL('./queue-bench-worker.ts', import.meta.url));

type Child = ChildProcessByStdio<Writable, Readable, null>;
type Impl = BenchWorkerSpec['impl'];
type Engine = BenchWorkerSpec['engine'];

interface Subject {
  engine: Engine;
  impl: Impl;
  target: string;
  /** Empties the queue and fills it with `rows` due rows. */
  refill(rows: number): Promise<void>;
  /** Enqueues one row whose payload carries `t`, the enqueue's wall-clock time. */
  enqueueStamped?(): Promise<void>;
  /** How many rows the database holds as done (counted after a drain). */
  done(): Promise<number>;
}

interface DrainResult {
  engine: Engine;
  impl: Impl;
  workers: number;
  rowsPerSecond: number;
  /** Rows processed beyond the queue's size (a row handled by two workers counts twice). */
  duplicates: number;
  /** Rows the database holds as done after the drain (the queue's size expected). */
  doneInDatabase: number;
}

interface LatencyResult {
  engine: Engine;
  impl: Impl;
  workers: number;
  seen: number;
  p50: number;
  p99: number;
}

const IMPL_NAMES: Record<Impl, string> = { repository: 'this package', raw: 'raw driver', pgboss: 'pg-boss', graphile: 'graphile-worker' };

interface WorkerHandle {
  child: Child;
  /** Next protocol line (`ready`, `done N`, or `failed CODE` when the process died). */
  next(): Promise<string>;
}

function startWorkers(spec: BenchWorkerSpec, count: number, onLatency: (ms: number) => void, children: Child[]): WorkerHandle[] {
  return Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
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
      for (const line of parts) {
        if (line.startsWith('lat ')) onLatency(Number(line.slice(4)));
        else if (line === 'ready' || line.startsWith('done ')) deliver(line);
      }
    });
    child.on('close', (code) => {
      if (code !== 0) {
        for (const next of waiting.splice(0)) next(`failed ${code}`);
        queue.push(`failed ${code}`);
      }
    });
    return { child, next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<string>((resolve) => waiting.push(resolve))) };
  });
}

function expectLine(line: string, prefix: string): string {
  if (!line.startsWith(prefix)) throw new Error(`benchmark worker: expected ${prefix.trim()}, got ${line}`);
  return line;
}

/** Kills whatever worker is still running (after an error) and waits for it to go. */
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

/** Fills the queue, starts `workers` processes, waits until all are connected, then times the drain. */
async function drain(subject: Subject, workers: number): Promise<DrainResult> {
  await subject.refill(ROWS);
  const children: Child[] = [];
  try {
    const handles = startWorkers({ engine: subject.engine, target: subject.target, impl: subject.impl, mode: 'drain', batch: BATCH }, workers, () => {}, children);
    for (const h of handles) expectLine(await h.next(), 'ready');
    const start = process.hrtime.bigint();
    for (const h of handles) h.child.stdin.write('go\n');
    const done = await Promise.all(handles.map(async (h) => Number(expectLine(await h.next(), 'done ').slice(5))));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return {
      engine: subject.engine,
      impl: subject.impl,
      workers,
      rowsPerSecond: ROWS / seconds,
      duplicates: done.reduce((a, b) => a + b, 0) - ROWS,
      doneInDatabase: await subject.done(),
    };
  } finally {
    await reap(children);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Workers wait on an empty queue; a trickle of single enqueues; enqueue-to-start per row. */
async function latency(subject: Subject, workers: number): Promise<LatencyResult> {
  await subject.refill(0);
  const children: Child[] = [];
  const seen: number[] = [];
  let allSeen = () => {};
  const whenAllSeen = new Promise<void>((resolve) => (allSeen = resolve));
  try {
    const handles = startWorkers(
      { engine: subject.engine, target: subject.target, impl: subject.impl, mode: 'latency', batch: BATCH },
      workers,
      (ms) => {
        seen.push(ms);
        if (seen.length >= TRICKLE_ROWS) allSeen();
      },
      children,
    );
    for (const h of handles) expectLine(await h.next(), 'ready');
    for (const h of handles) h.child.stdin.write('go\n');
    // Let every worker reach its waiting state before the first enqueue.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let i = 0; i < TRICKLE_ROWS; i++) {
      const due = performance.now() + TRICKLE_MS;
      await subject.enqueueStamped!();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
    await Promise.race([whenAllSeen, new Promise((resolve) => setTimeout(resolve, 5000))]);
    for (const h of handles) h.child.stdin.write('stop\n');
    await Promise.all(handles.map(async (h) => expectLine(await h.next(), 'done ')));
  } finally {
    await reap(children);
  }
  const sorted = [...seen].sort((a, b) => a - b);
  return { engine: subject.engine, impl: subject.impl, workers, seen: seen.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function ownSubjects(engine: Engine, cleanups: (() => Promise<void>)[]): Promise<Subject[]> {
  const bench = BENCH_ENGINES[engine];
  const db = await bench.database();
  cleanups.push(db.remove);
  const where = db.location;
  const descriptor = engineNamed(engine);
  const store: Store = createStore(resolveConfig({ overrides: { engine, [engine]: descriptor.locationConfig(where, '/') }, env: {}, cwd: '/' }).database);
  cleanups.push(() => store.close());
  await store.migrator.up();
  const refill = (rows: number) => bench.refillHookOutbox(where, rows);
  const enqueueStamped = async () => {
    await store.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'stop', payload: { t: nowMs() } });
  };
  const done = () => bench.countDelivered(where);
  return [
    { engine, impl: 'repository', target: where, refill, enqueueStamped, done },
    { engine, impl: 'raw', target: where, refill, done },
  ];
}

async function pgBossSubject(cleanups: (() => Promise<void>)[]): Promise<Subject> {
  const db = await benchPgDatabase();
  cleanups.push(() => db.drop());
  const boss = new PgBoss({ connectionString: db.url, max: 2, supervise: false, schedule: false });
  boss.on('error', (error) => console.error(`pg-boss: ${String(error)}`));
  await boss.start();
  cleanups.push(() => boss.stop({ graceful: false, wait: true, close: true }));
  await boss.createQueue(PEER_QUEUE);
  return {
    engine: 'postgresql',
    impl: 'pgboss',
    target: db.url,
    refill: async (rows) => {
      // Completed jobs stay in pg-boss's table until its maintenance archives them; start each run from an empty one.
      await boss.getDb().executeSql('TRUNCATE pgboss.job', []);
      for (let i = 0; i < rows; i += 5000) {
        await boss.insert(Array.from({ length: Math.min(5000, rows - i) }, (_, k) => ({ name: PEER_QUEUE, data: { i: i + k } })));
      }
    },
    enqueueStamped: async () => {
      await boss.send(PEER_QUEUE, { t: nowMs() });
    },
    done: async () => {
      const { rows } = await boss.getDb().executeSql("SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'", [PEER_QUEUE]);
      return (rows[0] as { n: number }).n;
    },
  };
}

async function graphileSubject(cleanups: (() => Promise<void>)[]): Promise<Subject> {
  const db = await benchPgDatabase();
  cleanups.push(() => db.drop());
  await runMigrations({ connectionString: db.url });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  cleanups.push(() => client.end());
  return {
    engine: 'postgresql',
    impl: 'graphile',
    target: db.url,
    refill: async (rows) => {
      await client.query('DELETE FROM graphile_worker._private_jobs');
      await client.query(`SELECT graphile_worker.add_job($2, json_build_object('i', i)) FROM generate_series(1, $1) AS i`, [rows, PEER_QUEUE]);
    },
    enqueueStamped: async () => {
      await client.query('SELECT graphile_worker.add_job($1, $2::json)', [PEER_QUEUE, JSON.stringify({ t: nowMs() })]);
    },
    // graphile-worker deletes a job once it completes: done = refilled - left.
    done: async () => ROWS - (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')).rows[0]!.n,
  };
}

export default async function queues(): Promise<void> {
  const drains: DrainResult[] = [];
  const latencies: LatencyResult[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const subjects = [
      ...(await Promise.all(ENGINES.map((e) => ownSubjects(e.name, cleanups)))).flat(),
      await pgBossSubject(cleanups),
      await graphileSubject(cleanups),
    ];
    for (const subject of subjects) {
      for (const workers of WORKERS) drains.push(await drain(subject, workers));
    }
    for (const subject of subjects) {
      if (!subject.enqueueStamped) continue;
      for (const workers of WORKERS) latencies.push(await latency(subject, workers));
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`queues bench cleanup: ${String(error)}`));
  }
  report(drains, latencies);
}

function report(drains: DrainResult[], latencies: LatencyResult[]): void {
  const rate = (engine: Engine, impl: Impl, workers: number) => drains.find((d) => d.engine === engine && d.impl === impl && d.workers === workers)!.rowsPerSecond;
  printTable(
    `Queue burn-down: ${ROWS.toLocaleString('en-US')} due rows, batch ${BATCH}, drained by worker processes (rows/s over the whole drain, worker start-up excluded)`,
    ['engine', 'queue', 'workers', 'rows/s', 'dup', 'done in db', 'vs 1 worker'],
    drains.map((d) => [d.engine, IMPL_NAMES[d.impl], d.workers, d.rowsPerSecond, d.duplicates, d.doneInDatabase, `${(d.rowsPerSecond / rate(d.engine, d.impl, 1)).toFixed(2)}x`]),
  );
  console.log(
    '  dup: rows the workers processed beyond the queue size (a row done twice counts; 0 expected); done in db: rows the database holds as done afterwards (counted, the queue size expected).',
  );
  console.log('  raw driver: the same claim work as the package on the driver alone (PostgreSQL FOR UPDATE SKIP LOCKED, SQLite BEGIN IMMEDIATE), no token.');
  console.log('  graphile-worker: concurrency = batch per process, one job per fetch; its runner starts inside the timed drain.');
  printTable(
    'Ratios on PostgreSQL (this package rows/s / peer rows/s)',
    ['workers', 'vs raw driver', 'vs pg-boss', 'vs graphile-worker'],
    WORKERS.map((w) => {
      const own = rate('postgresql', 'repository', w);
      return [w, `${(own / rate('postgresql', 'raw', w)).toFixed(2)}x`, `${(own / rate('postgresql', 'pgboss', w)).toFixed(2)}x`, `${(own / rate('postgresql', 'graphile', w)).toFixed(2)}x`];
    }),
  );
  printTable(
    `Enqueue-to-start latency: ${TRICKLE_ROWS} single enqueues, one every ${TRICKLE_MS} ms, while the workers wait`,
    ['engine', 'queue', 'workers', 'started', 'p50 ms', 'p99 ms'],
    latencies.map((l) => [l.engine, IMPL_NAMES[l.impl], l.workers, l.seen, l.p50, l.p99]),
  );
  console.log('  this package waits with store.waitForWork; pg-boss with work() at its shortest polling interval (0.5 s, it has no LISTEN); graphile-worker with its runner (LISTEN/NOTIFY).');
  const lat = (engine: Engine, workers: number) => latencies.find((l) => l.engine === engine && l.impl === 'repository' && l.workers === workers)!;
  const targets: [string, boolean][] = [];
  for (const w of WORKERS) {
    const own = rate('postgresql', 'repository', w);
    targets.push([`PostgreSQL, ${w} worker(s): rows/s >= 1.0x pg-boss (${(own / rate('postgresql', 'pgboss', w)).toFixed(2)}x)`, own >= rate('postgresql', 'pgboss', w)]);
    targets.push([`PostgreSQL, ${w} worker(s): rows/s >= 1.0x graphile-worker (${(own / rate('postgresql', 'graphile', w)).toFixed(2)}x)`, own >= rate('postgresql', 'graphile', w)]);
  }
  for (const engine of ENGINES.map((e) => e.name)) {
    const ratio = rate(engine, 'repository', 4) / rate(engine, 'repository', 1);
    targets.push([`${engine}: 4 workers at least as fast as 1 (${ratio.toFixed(2)}x of 1 worker)`, ratio >= 1]);
  }
  for (const engine of ENGINES.map((e) => e.name)) {
    for (const w of WORKERS) {
      const l = lat(engine, w);
      targets.push([`${engine}, ${w} worker(s): wake latency p50 < 10 ms (${l.p50.toFixed(2)} ms, ${l.seen}/${TRICKLE_ROWS} started)`, l.p50 < 10 && l.seen === TRICKLE_ROWS]);
    }
  }
  for (const d of drains.filter((x) => x.impl === 'raw' || x.impl === 'repository')) {
    targets.push([`${d.engine}, ${IMPL_NAMES[d.impl]}, ${d.workers} worker(s): every row done exactly once (dup ${d.duplicates}, ${d.doneInDatabase} of ${ROWS} done in db)`, d.duplicates === 0 && d.doneInDatabase === ROWS]);
  }
  console.log('\nTargets');
  for (const [text, met] of targets) console.log(`  ${target(met).padEnd(7)}  ${text}`);
}
