/**
 * Another process that enqueues, for the waitForWork tests:
 * `node --import tsx test/support/queue-enqueuer.ts '<ConnectionSpec JSON>'`. Prints `R` once
 * connected; for each line on stdin enqueues one hook event and prints `E <ms>`, the wall
 * clock (performance.timeOrigin + now(), sub-millisecond) just before the enqueue began.
 */
import { createInterface } from 'node:readline';
import type { ConnectionSpec } from './harness/index.js';
import { storeFor } from './open-options.js';

const spec = JSON.parse(process.argv[2]!) as ConnectionSpec;
const store = storeFor(spec);

async function main(): Promise<void> {
  await store.repositories.hookOutbox.get(1);
  process.stdout.write('R\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'quit') break;
    const at = performance.timeOrigin + performance.now();
    await store.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'wake' });
    process.stdout.write(`E ${at}\n`);
  }
  await store.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
