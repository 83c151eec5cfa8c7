import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';

// A real full disk: a small tmpfs mounted for the test (needs root, as the other file tests).
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-sqlite-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir]);
});
afterEach(() => {
  execFileSync('umount', ['-l', dir]); // lazy: an open file left by a failing test must not keep the mount
  rmdirSync(dir);
});

const chunk = (i: number) => `${i}:`.padEnd(64 * 1024, 'x');

async function fillUntilFull(store: SqliteStore, write: (i: number) => Promise<void>): Promise<{ written: number; error: Error & { code?: string } }> {
  for (let i = 0; i < 1000; i++) {
    try {
      await write(i);
    } catch (error) {
      return { written: i, error: error as Error & { code?: string } };
    }
  }
  throw new Error('the disk never filled up');
}

describe('SQLite on a full disk', () => {
  it('a write that does not fit is UnavailableError (TC_UNAVAILABLE), close() closes the handle without throwing, and nothing committed is lost', async () => {
    const path = join(dir, 'teleclaude.db');
    const store = new SqliteStore({ path });
    await store.migrator.up();
    const { written, error } = await fillUntilFull(store, (i) => store.repositories.settings.set(`k${i}`, chunk(i)));
    expect(written).toBeGreaterThan(0);
    expect(error.code).toBe('TC_UNAVAILABLE');
    expect(error.message).toMatch(/disk full/);
    expect((error.cause as { code?: string }).code).toBe('SQLITE_FULL');

    await expect(store.close()).resolves.toBeUndefined();
    expect(store.database.db.open).toBe(false);
    await expect(store.close()).resolves.toBeUndefined();

    execFileSync('mount', ['-o', 'remount,size=16m', dir]);
    const reopened = new SqliteStore({ path });
    try {
      expect(await reopened.inspector.integrityProblems()).toEqual([]);
      for (let i = 0; i < written; i++) expect(await reopened.repositories.settings.get(`k${i}`)).toBe(chunk(i));
      expect(await reopened.repositories.settings.get(`k${written}`)).toBeNull();
      await reopened.repositories.settings.set('after', 'space freed');
      expect(await reopened.repositories.settings.get('after')).toBe('space freed');
    } finally {
      await reopened.close();
    }
  });

  it('a transaction whose COMMIT does not fit is UnavailableError and rolled back whole', async () => {
    const path = join(dir, 'teleclaude.db');
    const store = new SqliteStore({ path });
    await store.migrator.up();
    const { written, error } = await fillUntilFull(store, (i) =>
      store.transaction(async (tx) => {
        await tx.settings.set(`a${i}`, chunk(i));
        await tx.settings.set(`b${i}`, chunk(i));
      }),
    );
    expect(error.code).toBe('TC_UNAVAILABLE');
    await store.close();
    execFileSync('mount', ['-o', 'remount,size=16m', dir]);
    const reopened = new SqliteStore({ path });
    try {
      expect(await reopened.inspector.integrityProblems()).toEqual([]);
      expect(await reopened.repositories.settings.get(`b${written - 1}`)).toBe(chunk(written - 1));
      expect(await reopened.repositories.settings.get(`a${written}`)).toBeNull();
    } finally {
      await reopened.close();
    }
  });
});
