/**
 * A queue worker in its own process, for the multi-process queue tests:
 * `node --import tsx test/support/queue-worker.ts '<WorkerSpec JSON>'`.
 * drain: claims batches and reports each one on stdout as `D <id> <id> ...` BEFORE marking
 * the rows delivered (the report is the delivery), until nothing was claimable for idleMs.
 * drain workers print `R` once connected and start on a line on stdin, so that all of them
 * claim at the same time whatever their start-up time.
 * hold: claims one batch, reports `H <id> ...` and then hangs, waiting to be killed.
 * Any error goes to stderr and exits 1.
 */
import { storeFor } from './open-options.js';
import type { WorkerSpec } from './queue-workers.js';

const spec = JSON.parse(process.argv[2]!) as WorkerSpec;
const store = storeFor(spec.connection);

const queue = spec.queue === 'hookOutbox' ? store.repositories.hookOutbox : store.repositories.webhooks;
const claim = () => queue.claimBatch({ limit: spec.limit, lockTtlMs: spec.lockTtlMs });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  if (spec.mode === 'hold') {
    const rows = await claim();
    process.stdout.write(`H ${rows.map((r) => r.id).join(' ')}\n`);
    setInterval(() => {}, 60_000);
    return;
  }
  await store.repositories.hookOutbox.get(1);
  process.stdout.write('R\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  let idleSince = Date.now();
  while (Date.now() - idleSince < spec.idleMs) {
    const rows = await claim();
    if (rows.length === 0) {
      await sleep(20);
      continue;
    }
    process.stdout.write(`D ${rows.map((r) => r.id).join(' ')}\n`);
    for (const row of rows) await queue.markDelivered(row.id, row.claimToken);
    idleSince = Date.now();
  }
  await store.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n${JSON.stringify(error)}\n`);
  process.exit(1);
});
