/**
 * One worker process of bench/queues.bench.ts. Prints `ready` once connected and starts on a
 * line on stdin.
 *
 * Mode `drain`: works until the queue is empty and prints `done <rows processed>`.
 * `repository` claims with HookOutboxRepository.claimBatch and completes the batch with one
 * markDeliveredMany; `raw` is the reference: the driver alone doing the same claim work
 * (PostgreSQL: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED); SQLite: the same
 * UPDATE ... RETURNING in BEGIN IMMEDIATE, through the claim-order index as the package reads
 * a backlog) and one UPDATE for the whole batch, without tokens,
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
import { Logger, run as runGraphile, type Runner } from 'graphile-worker';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createStore } from '../src/container.js';
import { engineNamed } from '../src/engines/registry.js';
import { BENCH_ENGINES, type Prepared } from './engines.js';
import { nowMs, PEER_QUEUE, type BenchWorkerSpec } from './queue-bench-shared.js';

const spec = JSON.parse(process.argv[2]!) as BenchWorkerSpec;

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


async function prepareRepository(): Promise<Prepared> {
  const engine = engineNamed(spec.engine);
  const store = createStore(resolveConfig({ overrides: { engine: engine.name, [engine.name]: engine.locationConfig(spec.target, '/') }, env: {}, cwd: '/' }).database);
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
  return BENCH_ENGINES[spec.engine].rawQueueWorker(spec.target, spec.batch, drainBatches);
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
