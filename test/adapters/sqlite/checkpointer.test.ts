import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from '../../../src/adapters/sqlite/sqlite-checkpointer.js';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { databaseConfigSchema } from '../../../src/config/config-schema.js';
import { createStore } from '../../../src/container.js';
import { createSqlitePath } from '../../support/databases.js';

/**
 * The store's WAL is checkpointed by a worker thread, not in its commits. The witness is
 * the database file on disk: pages reach it only by a checkpoint, and SQLite's own
 * checkpoint runs only once the WAL passes 1000 pages, so 400 pages written that show up
 * in the file were put there by the thread.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PAGE = 4096;
/** About 400 pages of settings: fewer than SQLite's own checkpoint waits for. */
const VALUES = 200;
const VALUE = 'x'.repeat(2 * PAGE);

async function storeWith(backgroundCheckpointMs: number): Promise<{ store: SqliteStore; path: string }> {
  const file = createSqlitePath();
  const store = new SqliteStore({ path: file.path, backgroundCheckpointMs });
  await store.migrator.up();
  cleanups.push(file.remove, () => store.close());
  return { store, path: file.path };
}

/** In one transaction, so the WAL gets each page once (autocommits would write the table's pages again at every commit). */
async function writePages(store: SqliteStore): Promise<void> {
  await store.transaction(async (tx) => {
    for (let i = 0; i < VALUES; i++) await tx.settings.set(`key-${i}`, VALUE);
  });
}

/** Polls until the database file holds `bytes`, or `ms` passed; its size either way. */
async function fileSizeReaching(path: string, bytes: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (statSync(path).size < bytes && Date.now() < deadline) await sleep(20);
  return statSync(path).size;
}

const written = VALUES * VALUE.length;

/**
 * The WAL header's checkpoint sequence number: a big-endian 32-bit integer at byte 12 of the
 * -wal file, which SQLite increments each time a writer starts the WAL over
 * (https://www.sqlite.org/fileformat2.html#walformat).
 */
function walRestarts(path: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(`${path}-wal`, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(12);
}

describe('SQLite background checkpoints', () => {
  it('a worker thread copies committed pages into the database file, which SQLite alone would leave in the WAL', async () => {
    const { store, path } = await storeWith(50);
    expect(store.database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await writePages(store);
    expect(await fileSizeReaching(path, written, 5000)).toBeGreaterThanOrEqual(written);
  });

  it('with backgroundCheckpointMs 0 no thread runs: the pages stay in the WAL until SQLite checkpoints at 1000', async () => {
    const { store, path } = await storeWith(0);
    expect(store.checkpointer).toBeUndefined();
    expect(store.database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await writePages(store);
    expect(await fileSizeReaching(path, written, 500)).toBeLessThan(written / 2);
    expect(statSync(`${path}-wal`).size).toBeGreaterThanOrEqual(written);
  });

  it('close ends the thread first: the store\'s connection is the last and removes the -wal and -shm files', async () => {
    const { store, path } = await storeWith(50);
    await writePages(store);
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(existsSync(`${path}-shm`)).toBe(false);
    expect(statSync(path).size).toBeGreaterThanOrEqual(written);
  });

  it('a thread that ends unexpectedly switches SQLite\'s own checkpointing back on', async () => {
    const { store, path } = await storeWith(60_000);
    await store.checkpointer!.thread.terminate();
    await sleep(50);
    expect(store.database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // 1000 pages and more (every commit writes the table's pages again): SQLite's checkpoint at commit copies them into the file.
    for (let i = 0; i < 3 * VALUES; i++) await store.repositories.settings.set(`key-${i}`, VALUE);
    expect(statSync(path).size).toBeGreaterThanOrEqual(2 * written);
  });

  it('under a steady stream of writes the WAL is restarted once it reaches restartPages; without that it grows on', async () => {
    // The WAL file is never shrunk here (no journal_size_limit), so its size is the most it
    // held. How far it gets between two restarts depends on how soon the thread runs (on a
    // loaded machine, later); how far it gets without restarts grows with the time written,
    // so the writes last long enough for the two to lie far apart. Pages of 1 KiB keep the
    // files small.
    const walAfterSteadyWrites = async (restartPages: number): Promise<{ size: number; restarts: number }> => {
      const file = createSqlitePath();
      cleanups.push(file.remove);
      const db = new Database(file.path);
      db.pragma('page_size = 1024');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec('CREATE TABLE t (v BLOB)');
      const checkpointer = new SqliteCheckpointer(db, file.path, { intervalMs: 10, restartPages });
      cleanups.push(async () => {
        await checkpointer.stop();
        db.close();
      });
      await sleep(200); // the thread is running
      const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(300))');
      insert.run();
      const before = walRestarts(file.path);
      // Writes without pause for 1.2 s, as a busy daemon would (the thread checkpoints meanwhile).
      for (let round = 0; round < 12; round++) {
        const end = Date.now() + 100;
        while (Date.now() < end) insert.run();
        db.prepare('DELETE FROM t').run();
      }
      return { size: statSync(`${file.path}-wal`).size, restarts: walRestarts(file.path) - before };
    };
    const restarted = await walAfterSteadyWrites(300);
    const unbounded = await walAfterSteadyWrites(0);
    expect(restarted.size).toBeLessThan(unbounded.size / 2);
    // SQLite's own record in the WAL header: the bounded run's WAL was started over, again and again.
    expect(restarted.restarts).toBeGreaterThan(unbounded.restarts);
    expect(restarted.restarts).toBeGreaterThanOrEqual(3);
  });

  it('the configuration\'s database.sqlite.backgroundCheckpointMs reaches the store (100 by default, 0 for none)', async () => {
    const file = createSqlitePath();
    cleanups.push(file.remove);
    for (const [block, thread] of [[{}, true], [{ backgroundCheckpointMs: 0 }, false]] as const) {
      const store = createStore(databaseConfigSchema.parse({ sqlite: { path: file.path, ...block } })) as unknown as SqliteStore;
      cleanups.push(() => store.close());
      expect(store.checkpointer !== undefined).toBe(thread);
      expect(store.database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(thread ? 0 : 1000);
    }
  });

  it('a read-only store and an in-memory one run no thread', async () => {
    const { path } = await storeWith(50);
    const reader = new SqliteStore({ path, readonly: true, backgroundCheckpointMs: 50 });
    cleanups.push(() => reader.close());
    expect(reader.checkpointer).toBeUndefined();
    const memory = new SqliteStore({ path: ':memory:', backgroundCheckpointMs: 50 });
    cleanups.push(() => memory.close());
    expect(memory.checkpointer).toBeUndefined();
  });

  it('the thread keeps no process alive, and a store closed last thing in a script still ends cleanly', async () => {
    const file = createSqlitePath();
    cleanups.push(file.remove);
    const storeModule = fileURLToPath(new URL('../../../src/adapters/sqlite/sqlite-store.ts', import.meta.url));
    const script = (close: boolean) => `
      const { SqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = new SqliteStore({ path: ${JSON.stringify(file.path)}, backgroundCheckpointMs: 50 });
      await store.migrator.up();
      await store.repositories.settings.set('k', 'v');
      ${close ? 'await store.close();' : ''}
    `;
    const run = (close: boolean) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(close)], { stdio: 'inherit' });
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('the script did not end within 20 s'));
        }, 20_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    expect(await run(false)).toBe(0);
    expect(await run(true)).toBe(0);
    expect(existsSync(`${file.path}-wal`)).toBe(false);
  }, 45_000);
});
