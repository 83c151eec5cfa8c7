import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDb } from './sqlite-database.js';

/** SQLite's own `wal_autocheckpoint` (pages), restored when the background checkpointer is not running. */
export const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** How often the thread checkpoints (PASSIVE). */
  intervalMs: number;
  /** The WAL's size in pages from which the thread also makes the next writer restart it (0: never). Default 10,000 (40 MB of 4 KiB pages). */
  restartPages?: number;
  /** How long such a RESTART checkpoint waits for the writer and the readers before the next tick tries again. Default 100. */
  restartWaitMs?: number;
}

/*
 * The thread's code, CommonJS run by `eval` so it needs no file of its own next to the
 * compiled or the TypeScript source. It opens its own connection to the file and runs a
 * PASSIVE checkpoint every `intervalMs`: one that waits for no reader or writer, and that
 * has nothing to do (and syncs nothing) when no frame was written since the last one. A
 * WAL that has reached `restartPages` gets a RESTART checkpoint (waiting at most
 * `restartWaitMs` for the writer and the readers), after which the next writer starts the
 * WAL from its beginning again.
 */
const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = ' + workerData.restartWaitMs);
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
const timer = setInterval(() => {
  try {
    const { log } = passive.get();
    if (workerData.restartPages > 0 && log >= workerData.restartPages) restart.get();
  } catch {
    // Busy (another checkpoint, a WAL restart) or the file is going away: the next tick tries again.
  }
}, workerData.intervalMs);
// The one message is 'stop' (a message sent before this line waits for it).
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a store's WAL from a worker thread, so no commit of the store waits for one.
 * SQLite's default checkpoints on the commit that takes the WAL past 1000 pages, in the
 * committing call: it copies the pages into the database file and syncs both files, and
 * under several writing processes, whose readers keep the WAL from being restarted, it
 * runs again and again (a few hundred syncs a second in the daemon bench's four
 * processes). Every session of that process waits meanwhile: that was the p99 of tens of
 * milliseconds. With the checkpointer running, the store's connection does not checkpoint
 * on commit (`wal_autocheckpoint = 0`); if the thread ends unexpectedly, SQLite's own
 * checkpointing is switched back on.
 *
 * A WAL is started from its beginning again only by a writer that begins when every frame
 * is already in the database file; under a steady stream of writes (in one process or
 * several) the PASSIVE checkpoints never leave such a moment, and the WAL, with the index
 * every read searches, would grow without bound (it did with SQLite's own checkpoints too,
 * to hundreds of megabytes in the daemon bench's four processes). So once it reaches
 * `restartPages`, the thread runs a RESTART checkpoint, which holds new writers off until
 * every reader has left the WAL, and the next writer restarts it.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;

  constructor(
    private readonly db: SqliteDb,
    path: string,
    { intervalMs, restartPages = 10_000, restartWaitMs = 100 }: CheckpointerOptions,
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(THREAD, { eval: true, workerData: { driver, path, intervalMs, restartPages, restartWaitMs } });
    // The thread never keeps the process alive; an error in it ends it (see 'exit').
    this.worker.unref();
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        if (!this.stopping) this.restoreAutocheckpoint();
        resolve();
      });
    });
  }

  /** Ends the thread and closes its connection; resolves once it has. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      // Kept alive until the thread has closed its connection, so a store closed last thing in a script still ends cleanly.
      this.worker.ref();
      this.worker.postMessage('stop');
      this.restoreAutocheckpoint();
    }
    await this.exited;
  }

  /** The thread, for tests that end it the hard way. */
  get thread(): Worker {
    return this.worker;
  }

  private restoreAutocheckpoint(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  }
}
