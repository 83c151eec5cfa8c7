import { setFlagsFromString } from 'node:v8';
import { main, processIo } from './main.js';

// The commands stream (copy and seed move millions of rows in batches) with a live heap of
// a few tens of MB. V8's default lets the old generation grow to several times the live
// set before collecting, so a long run's peak memory kept rising with the database size;
// letting it grow 30% past what survives the last full collection keeps the peak set by
// the batch size. Heap sizing flags are fixed at start-up, but this one is read at each
// collection.
setFlagsFromString('--heap-growing-percent=30');

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`teleclaude-db: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
