/**
 * One worker process of bench/queues.bench.ts. Prints `ready` once connected, starts on a
 * line on stdin, drains the hook outbox until a claim comes back empty and prints
 * `done <rows processed>`. `repository` claims with HookOutboxRepository.claimBatch and
 * completes the batch with one markDeliveredMany; `raw` is the reference: the driver alone
 * doing the same claim work (PostgreSQL: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
 * LOCKED); SQLite: the same UPDATE ... RETURNING in BEGIN IMMEDIATE) and one UPDATE for the
 * whole batch, without tokens, validation or error translation.
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
const CLAIM = `UPDATE hook_outbox SET locked_at = $1
  WHERE id IN (SELECT id FROM hook_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND locked_at IS NULL
               ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING id`;

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
