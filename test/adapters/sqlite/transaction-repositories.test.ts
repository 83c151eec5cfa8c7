import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import type { Repositories } from '../../../src/ports/repositories.js';
import { createSqlitePath } from '../../support/databases.js';

/**
 * A SQLite store builds the repositories it hands `store.transaction` once, on one
 * transaction executor; these tests hold it to the semantics a set built per transaction
 * had: a `tx` works only for its own transaction.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function store(): Promise<SqliteStore> {
  return (await storeAt()).store;
}

async function storeAt(): Promise<{ store: SqliteStore; path: string }> {
  const file = createSqlitePath();
  const s = new SqliteStore({ path: file.path });
  await s.migrator.up();
  cleanups.push(file.remove, () => s.close());
  return { store: s, path: file.path };
}

/** Whether another connection (as another process's writer would) gets the write lock now, or SQLITE_BUSY. */
function writeProbe(path: string): () => boolean {
  const other = new Database(path);
  other.pragma('busy_timeout = 0');
  cleanups.push(() => void other.close());
  return () => {
    try {
      other.exec('BEGIN IMMEDIATE; ROLLBACK');
      return true;
    } catch (error) {
      expect((error as { code?: string }).code).toBe('SQLITE_BUSY');
      return false;
    }
  };
}

describe('SQLite transaction repositories', () => {
  it('every transaction is handed the same repositories: nothing is built per transaction', async () => {
    const s = await store();
    const seen: Repositories[] = [];
    for (let i = 0; i < 3; i++) await s.transaction(async (tx) => void seen.push(tx));
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
    expect(seen[0]).not.toBe(s.repositories);
  });

  it('a tx kept past its transaction is refused, also while a later transaction is open, and writes nothing', async () => {
    const s = await store();
    let leaked!: Repositories;
    await s.transaction(async (tx) => {
      leaked = tx;
      await tx.settings.set('first', '1');
    });
    await expect(leaked.settings.set('after', 'x')).rejects.toThrow(/transaction repositories used after the transaction ended/);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const later = s.transaction(async (tx) => {
      await tx.settings.set('second', '2');
      entered();
      await gate;
    });
    await inside;
    // The later transaction is open on the same executor; the old tx still is not its tx.
    const refused = leaked.settings.set('during', 'x').then(
      () => null,
      (error: unknown) => error,
    );
    release();
    await later;
    expect(await refused).toBeInstanceOf(TypeError);
    expect(await s.repositories.settings.list()).toEqual([
      expect.objectContaining({ key: 'first', value: '1' }),
      expect.objectContaining({ key: 'second', value: '2' }),
    ]);
  });

  it('work a transaction scheduled with its tx that runs after the commit is refused', async () => {
    const s = await store();
    let late!: Promise<unknown>;
    await s.transaction(async (tx) => {
      await tx.settings.set('k', 'v');
      late = new Promise((resolve) => setTimeout(() => tx.settings.set('late', 'x').then(resolve, resolve), 20));
    });
    expect(await late).toBeInstanceOf(TypeError);
    expect(await s.repositories.settings.get('late')).toBeNull();
  });

  it('a batch that fails inside a transaction rolls back only itself (a savepoint); the transaction goes on and commits', async () => {
    const s = await store();
    const first = await s.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'a' });
    const second = await s.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'b' });
    const claimed = await s.repositories.hookOutbox.claimBatch({ limit: 2 });
    const token = (id: number) => claimed.find((e) => e.id === id)!.claimToken;
    await s.transaction(async (tx) => {
      await tx.settings.set('before', '1');
      await expect(
        tx.hookOutbox.markDeliveredMany([
          { id: first, token: token(first) },
          { id: second, token: 'stale' },
        ]),
      ).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      await tx.settings.set('after', '2');
    });
    expect((await s.repositories.hookOutbox.get(first))!.deliveredAt).toBeNull();
    expect(await s.repositories.settings.get('before')).toBe('1');
    expect(await s.repositories.settings.get('after')).toBe('2');
  });

  it('the write lock is taken right before the first statement and held to the COMMIT; a transaction with no statement takes none', async () => {
    const { store: s, path } = await storeAt();
    const otherCanWrite = writeProbe(path);
    const seen: boolean[] = [];
    await s.transaction(async (tx) => {
      seen.push(otherCanWrite());
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(otherCanWrite());
      await tx.settings.set('k', 'v');
      seen.push(otherCanWrite());
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(otherCanWrite());
    });
    seen.push(otherCanWrite());
    expect(seen).toEqual([true, true, false, false, true]);
    expect(await s.transaction(async () => 'nothing')).toBe('nothing');
    expect(otherCanWrite()).toBe(true);
    expect(await s.repositories.settings.get('k')).toBe('v');
  });

  it('a transaction queued behind another is handed the write lock at its COMMIT, and gives it back when it awaits other work before its first statement', async () => {
    const { store: s, path } = await storeAt();
    const otherCanWrite = writeProbe(path);
    const seen: Record<string, boolean[]> = { first: [], queued: [], idle: [] };
    const first = s.transaction(async (tx) => {
      await tx.settings.set('first', '1');
      seen.first!.push(otherCanWrite());
    });
    // Queued: it starts when the first commits, with the lock already taken for it.
    const queued = s.transaction(async (tx) => {
      seen.queued!.push(otherCanWrite());
      await tx.settings.set('queued', '2');
      seen.queued!.push(otherCanWrite());
    });
    // Queued too, but it awaits a timer before its first statement: the lock is given back
    // when the event loop turns, and taken again by its first statement.
    const idle = s.transaction(async (tx) => {
      seen.idle!.push(otherCanWrite());
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.idle!.push(otherCanWrite());
      await tx.settings.set('idle', '3');
      seen.idle!.push(otherCanWrite());
    });
    await Promise.all([first, queued, idle]);
    expect(seen).toEqual({ first: [false], queued: [false, false], idle: [false, true, false] });
    expect(otherCanWrite()).toBe(true);
    expect((await s.repositories.settings.list()).map((e) => [e.key, e.value])).toEqual([
      ['first', '1'],
      ['idle', '3'],
      ['queued', '2'],
    ]);
    // A queued transaction that runs no statement commits nothing and leaves the lock free.
    await Promise.all([s.transaction((tx) => tx.settings.set('again', '4')), s.transaction(async () => 'nothing')]);
    expect(otherCanWrite()).toBe(true);
  });

  it('a failed transaction leaves the shared repositories usable by the next one', async () => {
    const s = await store();
    await expect(
      s.transaction(async (tx) => {
        await tx.settings.set('k', 'lost');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await s.transaction((tx) => tx.settings.set('k', 'kept'));
    expect(await s.repositories.settings.get('k')).toBe('kept');
  });
});
