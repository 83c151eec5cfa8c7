/**
 * One worker process of bench/queues.bench.ts. Prints `ready` once connected and starts on a
 * line on stdin.
 *
 * Mode `drain`: works until the queue is empty and prints `done <rows processed>`.
 * `repository` claims with HookOutboxRepository.claimBatch and completes the batch with one
 * markDeliveredMany; `raw` is the reference: the driver alone doing the same claim work
 * (PostgreSQL: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED); SQLite: the same
 * UPDATE ... RETURNING in BEGIN IMMEDIATE) and one UPDATE for the whole batch, without tokens,
 * validation or error translation. `pgboss`: `fetch` with `batchSize`, then one `complete` of
 * the batch's ids. `graphile`: a runner with a task that does nothing and `concurrency` =
 * batch; it stops when its jobs table is empty.
 *
 * Mode `latency`: waits for work the way each queue intends (this package: `store.waitForWork`;
 * pg-boss: `work` with its shortest polling interval; graphile-worker: its runner, LISTEN/NOTIFY)
 * and prints `lat <ms>` per row, the time since the enqueue stamped in the row's payload `t`
 * (wall clock with sub-millisecond precision, the same clock in every process); stops on a second
 * line on stdin.
 */
import Database from 'better-sqlite3';
import { Logger, run as runGraphile, type Runner } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { systemClock } from '../src/ports/clock.js';
import { nowMs, PEER_QUEUE, type BenchWorkerSpec } from './queue-bench-shared.js';

const spec = JSON.parse(process.argv[2]!) as BenchWorkerSpec;
const CLAIM = `UPDATE hook_outbox SET locked_at = $1
  WHERE id IN (SELECT id FROM hook_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND locked_at IS NULL
               ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING id`;

const stopping = new AbortController();
const latency = (payload: unknown) => {
  const t = (payload as { t?: number } | null)?.t;
  if (typeof t === 'number') process.stdout.write(`lat ${(nowMs() - t).toFixed(3)}\n`);
};

async function drainBatches<T>(claim: () => Promise<T[]>, complete: (items: T[]) => Promise<unknown>): Promise<number> {
  let processed = 0;
  for (;;) {
    const items = await claim();
    if (items.length === 0) return processed;
    await complete(items);
    processed += items.length;
  }
}

interface Prepared {
  run: () => Promise<number>;
  close: () => Promise<void>;
}

async function prepareRepository(): Promise<Prepared> {
  const store =
    spec.engine === 'sqlite'
      ? new SqliteStore({ path: spec.target }, systemClock)
      : new PostgresStore({ url: spec.target, pool: { max: 2 } }, 'bench', systemClock);
  const q = store.repositories.hookOutbox;
  if (spec.mode === 'drain') {
    return {
      run: () => drainBatches(async () => (await q.claimBatch({ limit: spec.batch })).map((e) => ({ id: e.id, token: e.claimToken })), (items) => q.markDeliveredMany(items)),
      close: () => store.close(),
    };
  }
  return {
    run: async () => {
      let processed = 0;
      while (!stopping.signal.aborted) {
        if (!(await store.waitForWork({ signal: stopping.signal, timeoutMs: 1000 }))) continue;
        const events = await q.claimBatch({ limit: spec.batch });
        for (const e of events) latency(e.payload);
        if (events.length > 0) await q.markDeliveredMany(events.map((e) => ({ id: e.id, token: e.claimToken })));
        processed += events.length;
      }
      return processed;
    },
    close: () => store.close(),
  };
}

async function prepareRaw(): Promise<Prepared> {
  if (spec.engine === 'sqlite') {
    const db = new Database(spec.target);
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    const claim = db
      .prepare(CLAIM.replace(' FOR UPDATE SKIP LOCKED', '').replace(/\$1/g, '@now').replace('$2', '@limit'))
      .pluck();
    const complete = db.prepare('UPDATE hook_outbox SET delivered_at = ?, locked_at = NULL WHERE id IN (SELECT value FROM json_each(?))');
    const claimTx = db.transaction(() => claim.all({ now: Date.now(), limit: spec.batch }) as number[]);
    return {
      run: () =>
        drainBatches(
          async () => claimTx.immediate(),
          async (ids) => complete.run(Date.now(), JSON.stringify(ids)),
        ),
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: spec.target });
  await client.connect();
  return {
    run: () =>
      drainBatches(
        async () => (await client.query<{ id: string }>(CLAIM, [new Date(), spec.batch])).rows.map((r) => Number(r.id)),
        (ids) => client.query('UPDATE hook_outbox SET delivered_at = $1, locked_at = NULL WHERE id = ANY($2::bigint[])', [new Date(), ids]),
      ),
    close: () => client.end(),
  };
}

async function preparePgBoss(): Promise<Prepared> {
  const boss = new PgBoss({ connectionString: spec.target, max: 2, supervise: false, schedule: false, migrate: false });
  boss.on('error', (error) => process.stderr.write(`pg-boss: ${String(error)}\n`));
  await boss.start();
  const close = () => boss.stop({ graceful: false, wait: true, close: true });
  if (spec.mode === 'drain') {
    return {
      run: () =>
        drainBatches(
          () => boss.fetch(PEER_QUEUE, { batchSize: spec.batch }),
          (jobs) => boss.complete(PEER_QUEUE, jobs.map((j) => j.id)),
        ),
      close,
    };
  }
  return {
    run: async () => {
      let processed = 0;
      await boss.work(PEER_QUEUE, { batchSize: spec.batch, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        for (const job of jobs) latency(job.data);
        processed += jobs.length;
      });
      await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve));
      return processed;
    },
    close,
  };
}

async function prepareGraphile(): Promise<Prepared> {
  let processed = 0;
  let runner: Runner | null = null;
  const start = async () => {
    runner = await runGraphile({
      connectionString: spec.target,
      concurrency: spec.batch,
      noHandleSignals: true,
      logger: new Logger(() => () => {}),
      taskList: {
        [PEER_QUEUE]: async (payload) => {
          if (spec.mode === 'latency') latency(payload);
          processed += 1;
        },
      },
    });
  };
  if (spec.mode === 'latency') await start();
  const probe = new pg.Client({ connectionString: spec.target });
  await probe.connect();
  return {
    run: async () => {
      if (spec.mode === 'latency') {
        await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve));
        return processed;
      }
      await start();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        const { rows } = await probe.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker.jobs');
        if (rows[0]!.n === 0) return processed;
      }
    },
    close: async () => {
      await (runner as Runner | null)?.stop();
      await probe.end();
    },
  };
}

const worker = await { repository: prepareRepository, raw: prepareRaw, pgboss: preparePgBoss, graphile: prepareGraphile }[spec.impl]();
process.stdout.write('ready\n');
let lines = 0;
process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
  lines += chunk.split('\n').length - 1;
  if (lines >= 2) stopping.abort();
});
process.stdin.once('data', () => {
  worker
    .run()
    .then(async (processed) => {
      process.stdout.write(`done ${processed}\n`);
      await worker.close();
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    });
});
