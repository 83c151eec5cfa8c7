import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, SqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.js';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { createSqlitePath } from '../../support/databases.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function file() {
  const f = createSqlitePath();
  cleanups.push(f.remove);
  return f.path;
}

describe('SQLite connection setup', () => {
  it('sets WAL, synchronous = NORMAL, busy_timeout and foreign_keys = ON', () => {
    const db = openSqlite({ path: file(), busyTimeoutMs: 1234 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('creates the parent directory of a new database file', () => {
    const path = `${file()}.d/nested/dir/t.db`;
    const db = openSqlite({ path });
    expect(db.open).toBe(true);
    db.close();
  });

  it('another query of the process waits for an open transaction instead of joining it', async () => {
    const database = new SqliteDatabase(openSqlite({ path: file() }));
    await database.run((db) => db.exec('CREATE TABLE t (v INTEGER)'));
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = database.transaction(async (ex) => {
      await ex.run((db) => db.prepare('INSERT INTO t VALUES (1)').run());
      order.push('tx wrote');
      await gate;
      order.push('tx commits');
    });
    const outside = database.run((db) => {
      order.push('outside ran');
      return (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    });
    await new Promise((r) => setTimeout(r, 20));
    release();
    await tx;
    expect(await outside).toBe(1);
    expect(order).toEqual(['tx wrote', 'tx commits', 'outside ran']);
    database.close();
  });

  it('using store.repositories inside store.transaction is refused instead of deadlocking', async () => {
    const store = new SqliteStore({ path: file() });
    await store.migrator.up();
    await expect(store.transaction(() => store.repositories.settings.get('x'))).rejects.toThrow(/use the transaction's repositories/);
    await store.close();
  });

  it('a second process writing while we hold BEGIN IMMEDIATE waits (busy_timeout) and then succeeds', async () => {
    const path = file();
    const database = new SqliteDatabase(openSqlite({ path }));
    await database.run((db) => db.exec('CREATE TABLE t (v INTEGER)'));
    const other = new Database(path);
    other.pragma('busy_timeout = 5000');
    await database.transaction(async (ex) => {
      await ex.run((db) => db.prepare('INSERT INTO t VALUES (1)').run());
      expect(() => new Database(path, { timeout: 0 }).prepare('INSERT INTO t VALUES (2)').run()).toThrow(/locked|busy/i);
    });
    other.prepare('INSERT INTO t VALUES (3)').run();
    expect((other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(2);
    other.close();
    database.close();
  });

  it('close checkpoints the WAL to zero bytes', async () => {
    const path = file();
    const store = new SqliteStore({ path });
    await store.migrator.up();
    for (let i = 0; i < 50; i++) await store.repositories.settings.set(`k${i}`, 'v');
    await store.close();
    const { statSync, existsSync } = await import('node:fs');
    expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true);
  });
});
