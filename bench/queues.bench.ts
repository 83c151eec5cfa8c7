/**
 * Claim-and-complete throughput of the hook outbox (claimBatch + one markDeliveredMany per
 * batch), with 1 and 4 worker processes on each engine, next to a reference on the raw
 * driver doing the same claim work (SKIP LOCKED / BEGIN IMMEDIATE) and one batch UPDATE.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import type { Store } from '../src/ports/store.js';
import { benchPgDatabase, benchSqlitePath } from './databases.js';
import type { BenchWorkerSpec } from './queue-bench-worker.js';
import { printTable } from './report.js';

const ROWS = { sqlite: 10_000, postgresql: 6000 } as const;
const BATCH = 20;
const workerScript = fileURLToPath(new URL('./queue-bench-worker.ts', import.meta.url));

interface Run {
  rowsPerSecond: number;
  /** Rows processed beyond the queue's size (a row handled by two workers counts twice). */
  duplicates: number;
}

/** Fills the outbox with `rows` due events in one statement (after emptying it). */
async function refill(store: Store, rows: number): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  if (store instanceof SqliteStore) {
    await store.database.run((db) => {
      db.exec('DELETE FROM hook_outbox');
      db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
         SELECT 's' || (i % 10), 'stop', json_object('i', i), ? + i, ? FROM n`,
      ).run(rows, past.getTime(), past.getTime());
    });
  } else if (store instanceof PostgresStore) {
    await store.database.query('TRUNCATE hook_outbox');
    await store.database.query(
      `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
       SELECT 's' || (i % 10), 'stop', jsonb_build_object('i', i), $2::timestamptz + i * interval '1 millisecond', $2
       FROM generate_series(1, $1) AS i`,
      [rows, past],
    );
  }
}

/** Starts `workers` processes, waits until all are connected, then times the drain. */
async function drain(spec: BenchWorkerSpec, workers: number, rows: number): Promise<Run> {
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, ['--import', 'tsx', workerScript, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = children.map((child) => {
    const queue: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        const next = waiting.shift();
        if (next) next(line);
        else queue.push(line);
      }
    });
    child.on('close', (code) => {
      if (code !== 0) for (const next of waiting.splice(0)) next(`failed ${code}`);
    });
    return () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)));
  });
  await Promise.all(lines.map((next) => next()));
  const start = process.hrtime.bigint();
  for (const child of children) child.stdin.write('go\n');
  const done = await Promise.all(lines.map((next) => next()));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const processed = done.map((line) => {
    if (!line.startsWith('done ')) throw new Error(`benchmark worker ${line}`);
    return Number(line.slice(5));
  });
  return { rowsPerSecond: rows / seconds, duplicates: processed.reduce((a, b) => a + b, 0) - rows };
}

async function engineRows(engine: 'sqlite' | 'postgresql'): Promise<(string | number)[][]> {
  const sqlite = engine === 'sqlite' ? benchSqlitePath() : null;
  const pgDb = engine === 'postgresql' ? await benchPgDatabase() : null;
  const target = sqlite?.path ?? pgDb!.url;
  const store: Store = sqlite ? new SqliteStore({ path: target }) : new PostgresStore({ url: target }, 'bench');
  const out: (string | number)[][] = [];
  try {
    await store.migrator.up();
    const rows = ROWS[engine];
    for (const workers of [1, 4]) {
      await refill(store, rows);
      const repo = await drain({ engine, target, impl: 'repository', batch: BATCH }, workers, rows);
      await refill(store, rows);
      const raw = await drain({ engine, target, impl: 'raw', batch: BATCH }, workers, rows);
      out.push([engine, workers, rows, repo.rowsPerSecond, repo.duplicates, raw.rowsPerSecond, raw.duplicates, (repo.rowsPerSecond / raw.rowsPerSecond).toFixed(2)]);
    }
  } finally {
    await store.close();
    sqlite?.remove();
    await pgDb?.drop();
  }
  return out;
}

export default async function queues(): Promise<void> {
  const rows = [...(await engineRows('sqlite')), ...(await engineRows('postgresql'))];
  printTable(
    `Hook outbox claim-and-complete (batch ${BATCH}; rows/s over the whole drain, worker start-up excluded)`,
    ['engine', 'workers', 'rows', 'claimBatch rows/s', 'dup', 'raw claim+UPDATE rows/s', 'raw dup', 'claim / raw'],
    rows,
  );
  console.log('  dup: rows processed more than once (0 expected: both loops claim). Peer job queues (pg-boss, graphile-worker) are not measured yet.');
}
