import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresInstanceLock } from '../../../src/adapters/postgres/postgres-instance-lock.js';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { createPgDatabase } from '../../support/databases.js';
import { startCuttingProxy, type CuttingProxy } from '../../support/cutting-proxy.js';

/**
 * Connections cut while a statement is in flight. pg emits 'error' on a client whose
 * connection dies even mid-query; without a listener that ends the process (vitest then
 * reports the unhandled error and the run fails).
 */
describe('PostgreSQL connections cut mid-statement', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let proxy: CuttingProxy;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createPgDatabase('tc_cut');
    const direct = new PostgresStore({ url: db.url }, 'x');
    await direct.migrator.up();
    await direct.close();
    const url = new URL(db.url);
    proxy = await startCuttingProxy(Number(url.port || 5432), url.hostname);
    url.port = String(proxy.port);
    store = new PostgresStore({ url: url.toString(), pool: { max: 3 } }, 'x');
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('a connection cut while BEGIN is in flight is retried on a fresh connection and the transaction commits', async () => {
    await store.repositories.settings.set('warm', '1');
    proxy.cutOn('BEGIN');
    await store.transaction((tx) => tx.settings.set('after-begin-cut', 'v'));
    expect(proxy.cuts).toBe(1);
    expect(await store.repositories.settings.get('after-begin-cut')).toBe('v');
  });

  it('a connection cut while BEGIN is in flight on every attempt fails with TC_UNAVAILABLE, and the pool recovers', async () => {
    const before = proxy.cuts;
    proxy.cutOn('BEGIN', 1000);
    await expect(store.transaction((tx) => tx.settings.set('never', 'v'))).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    expect(proxy.cuts - before).toBeGreaterThan(1);
    proxy.cutOn('BEGIN', 0);
    await store.transaction((tx) => tx.settings.set('recovered', 'v'));
    expect(await store.repositories.settings.get('never')).toBeNull();
    expect(await store.repositories.settings.get('recovered')).toBe('v');
  });

  it('a connection cut during a statement inside the transaction fails it with TC_UNAVAILABLE and nothing of it is stored', async () => {
    proxy.cutOn('marker-cut-in-body');
    await expect(
      store.transaction(async (tx) => {
        await tx.settings.set('first-write', 'v');
        await tx.settings.set('marker-cut-in-body', 'v');
      }),
    ).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    expect(await store.repositories.settings.get('first-write')).toBeNull();
    await store.transaction((tx) => tx.settings.set('next', 'v'));
  });

  it('a connection cut while COMMIT is in flight fails with TC_UNAVAILABLE, and the pool recovers', async () => {
    proxy.cutOn('COMMIT');
    await expect(store.transaction((tx) => tx.settings.set('at-commit', 'v'))).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    // COMMIT never reached the server, so the write was rolled back with the session.
    expect(await store.repositories.settings.get('at-commit')).toBeNull();
    await store.transaction((tx) => tx.settings.set('after-commit-cut', 'v'));
    expect(await store.repositories.settings.get('after-commit-cut')).toBe('v');
  });

  it('a connection cut during a pool query fails it with TC_UNAVAILABLE, and the next query succeeds', async () => {
    proxy.cutOn('system_settings');
    await expect(store.repositories.settings.list()).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    expect(await store.repositories.settings.get('recovered')).toBe('v');
  });

  it('a COPY cut mid-stream fails the load with TC_UNAVAILABLE and leaves the table as it was', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => [`copy-key-${i}`, 'v', new Date()]);
    proxy.cutOn('copy-key-25');
    await expect(store.bulk.load('system_settings', ['key', 'value', 'updated_at'], [rows])).rejects.toMatchObject({
      code: 'TC_UNAVAILABLE',
    });
    expect(await store.repositories.settings.get('copy-key-0')).toBeNull();
    expect(await store.bulk.load('system_settings', ['key', 'value', 'updated_at'], [rows])).toBe(50);
  });

  it("the instance lock's connection cut mid-query: acquire fails with TC_UNAVAILABLE, nothing crashes, a later acquire succeeds", async () => {
    const lock = new PostgresInstanceLock(store.options, 'the cut database');
    proxy.cutOn('pg_try_advisory_lock');
    await expect(lock.acquire()).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
    expect(lock.held).toBe(false);
    await lock.acquire();
    expect(lock.held).toBe(true);
    await lock.release();
  });

  it("the migrator's connection cut mid-migration fails with TC_UNAVAILABLE and a later run finishes", async () => {
    const fresh = await createPgDatabase('tc_cut_migrate');
    const url = new URL(fresh.url);
    const target = new URL(db.url);
    // The proxy forwards to the same server; only the database name differs.
    url.port = String(proxy.port);
    url.hostname = target.hostname;
    const migrating = new PostgresStore({ url: url.toString() }, 'x');
    try {
      proxy.cutOn('CREATE TABLE');
      const error = await migrating.migrator.up().then(
        () => null,
        (e: Error) => e,
      );
      expect(error).toMatchObject({ code: 'TC_UNAVAILABLE' });
      // Translated once: the message says what happened, not "unavailable: unavailable: ...".
      expect(error!.message).toMatch(/^database unavailable: (?!database unavailable)/);
      expect((await migrating.migrator.up()).length).toBeGreaterThan(0);
      expect((await migrating.migrator.state()).pending).toEqual([]);
    } finally {
      await migrating.close();
      await fresh.drop();
    }
  });
});
