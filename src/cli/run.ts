import { setFlagsFromString } from 'node:v8';
import { sanitise, type Io } from './command.js';
import { main } from './main.js';

// The commands stream (copy and seed move millions of rows in batches) with a live heap of
// a few tens of MB. V8's default lets the old generation grow to several times the live
// set before collecting, so a long run's peak memory kept rising with the database size;
// letting it grow 30% past what survives the last full collection keeps the peak set by
// the batch size. Heap sizing flags are fixed at start-up, but this one is read at each
// collection.
setFlagsFromString('--heap-growing-percent=30');

/**
 * Writes to `stream` until its reader goes away (`teleclaude-db status | head -1` closes
 * the pipe: EPIPE); from then on output is dropped and the command ends normally,
 * closing its database, instead of dying with an unhandled 'error' event.
 */
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  let gone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    gone = true;
  });
  return (text) => {
    if (!gone) stream.write(text);
  };
}

const out = writer(process.stdout);
const err = writer(process.stderr);

const processIo: Io = {
  out: (line) => out(`${line}\n`),
  err: (line) => err(`${line}\n`),
  // Progress is for a person watching: not when either output goes to a pipe or a file.
  tty: Boolean(process.stderr.isTTY && process.stdout.isTTY),
  status: (text) => err(`\r\x1b[K${text}`),
  env: process.env,
  cwd: process.cwd(),
};

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    err(`teleclaude-db: ${sanitise((error as Error).message)}\n`);
    process.exitCode = 1;
  },
);
