/**
 * One worker process of bench/queues.bench.ts. Prints `ready` once connected, starts on a
 * line on stdin, drains the hook outbox until a claim comes back empty and prints
 * `done <rows processed>`. `repository` claims with HookOutboxRepository.claimBatch and
 * completes the batch with one markDeliveredMany; `raw` is the reference: the driver alone, a plain
 * SELECT ... LIMIT n then one UPDATE per row, with no claim (so workers can collide).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { systemClock } from '../src/ports/clock.js';

export interface BenchWorkerSpec {
  engine: 'sqlite' | 'postgresql';
  /** File path or URL. */
  target: string;
  impl: 'repository' | 'raw';
  batch: number;
}

const spec = JSON.parse(process.argv[2]!) as BenchWorkerSpec;
const SELECT = 'SELECT id FROM hook_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT $2';
const UPDATE = 'UPDATE hook_outbox SET delivered_at = $1 WHERE id = $2';

async function drainWith(claim: () => Promise<number[]>, complete: (id: number) => Promise<unknown> | unknown): Promise<number> {
  let processed = 0;
  for (;;) {
    const ids = await claim();
    if (ids.length === 0) return processed;
    for (const id of ids) await complete(id);
    processed += ids.length;
  }
}

async function drainBatches<T>(claim: () => Promise<T[]>, complete: (items: T[]) => Promise<unknown>): Promise<number> {
  let processed = 0;
  for (;;) {
    const items = await claim();
    if (items.length === 0) return processed;
    await complete(items);
    processed += items.length;
  }
}

async function prepare(): Promise<{ run: () => Promise<number>; close: () => Promise<void> }> {
  if (spec.impl === 'repository') {
    const store =
      spec.engine === 'sqlite'
        ? new SqliteStore({ path: spec.target }, systemClock)
        : new PostgresStore({ url: spec.target, pool: { max: 2 } }, 'bench', systemClock);
    const q = store.repositories.hookOutbox;
    return {
      run: () => drainBatches(async () => (await q.claimBatch({ limit: spec.batch })).map((e) => ({ id: e.id, token: e.claimToken })), (items) => q.markDeliveredMany(items)),
      close: () => store.close(),
    };
  }
  if (spec.engine === 'sqlite') {
    const db = new Database(spec.target);
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    const select = db.prepare(SELECT.replace(/\$\d/g, '?')).pluck();
    const update = db.prepare(UPDATE.replace(/\$\d/g, '?'));
    return {
      run: () =>
        drainWith(
          async () => select.all(Date.now(), spec.batch) as number[],
          (id) => update.run(Date.now(), id),
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
      drainWith(
        async () => (await client.query<{ id: string }>(SELECT, [new Date(), spec.batch])).rows.map((r) => Number(r.id)),
        (id) => client.query(UPDATE, [new Date(), id]),
      ),
    close: () => client.end(),
  };
}

const worker = await prepare();
process.stdout.write('ready\n');
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
