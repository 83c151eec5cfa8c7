import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteInstanceLock } from '../../../src/adapters/sqlite/sqlite-instance-lock.js';
import { systemClock } from '../../../src/ports/clock.js';
import { openStore, type OpenedStore } from '../../../src/open-store.js';
import { createSqlitePath } from '../../support/databases.js';

function options(path: string, extra: Record<string, unknown> = {}) {
  return { overrides: { engine: 'sqlite' as const, sqlite: { path, ...extra } }, env: {}, cwd: '/nonexistent' };
}

describe('openStore on SQLite', () => {
  const cleanup: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  function tempPath(): string {
    const p = createSqlitePath();
    cleanup.push(p.remove);
    return p.path;
  }
  async function open(path: string, extra: Record<string, unknown> = {}, autoMigrate = true): Promise<OpenedStore> {
    const store = await openStore({ ...options(path, extra), autoMigrate });
    cleanup.push(() => store.close());
    return store;
  }

  it('keeps the instance lock in <database>.lock, recording pid, host and start time', async () => {
    const path = tempPath();
    const store = await open(path);
    expect(store.lock.description).toBe(`${path}.lock`);
    expect(existsSync(`${path}.lock`)).toBe(true);
    const row = new Database(`${path}.lock`, { readonly: true }).prepare('SELECT pid, host, started_at FROM holder').get() as { pid: number };
    expect(row.pid).toBe(process.pid);
  });

  it('refuses a database newer than this build, even with autoMigrate, and leaves the lock free', async () => {
    const path = tempPath();
    await (await open(path)).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run('999_from_the_future', Date.now());
    raw.close();
    await expect(openStore({ ...options(path), autoMigrate: true })).rejects.toMatchObject({
      code: 'TC_MIGRATION',
      message: expect.stringContaining('newer than this build'),
    });
    expect(await new SqliteInstanceLock(path, systemClock).holder()).toBeNull();
  });

  it('checkpoints the WAL on the configured interval', async () => {
    const path = tempPath();
    const store = await open(path, { checkpointIntervalMs: 50 });
    await store.repositories.sessions.create({ computerName: 'mac' });
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const deadline = Date.now() + 5000;
    while (statSync(`${path}-wal`).size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(`${path}-wal`).size).toBe(0);
  });

  it('an in-memory database opens with a lock that has nothing to hold', async () => {
    const store = await open(':memory:');
    expect(await store.repositories.sessions.count()).toBe(0);
    expect(await store.lock.holder()).toBeNull();
  });
});
