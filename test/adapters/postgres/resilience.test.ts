import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { openStore, type OpenedStore } from '../../../src/open-store.js';
import { startThrowawayCluster, throwawayUnavailable, type ThrowawayCluster } from '../../support/throwaway-cluster.js';

const unavailable = throwawayUnavailable();

describe.skipIf(unavailable)(`PostgreSQL resilience (throwaway cluster)${unavailable ? `: skipped, ${unavailable}` : ''}`, () => {
  let cluster: ThrowawayCluster;
  beforeAll(async () => {
    cluster = await startThrowawayCluster();
  });
  afterAll(() => cluster?.destroy());

  it('a server restart under an open store crashes nothing: queries in the outage fail with TC_UNAVAILABLE, the lock-loss signal fires, and everything works afterwards', async () => {
    const store: OpenedStore = await openStore({
      overrides: { engine: 'postgresql', postgresql: { url: cluster.url, connectTimeoutMs: 2000 } },
      env: {},
      cwd: '/nonexistent',
      autoMigrate: true,
    });
    try {
      // Several idle pooled connections, which the restart will cut.
      await Promise.all(Array.from({ length: 4 }, (_, i) => store.repositories.settings.set(`k${i}`, 'v')));
      const lost: Error[] = [];
      store.lock.onLost((reason) => lost.push(reason));
      const signal = store.lock.signal;

      cluster.stop('fast');
      await expect(store.repositories.settings.get('k0')).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
      await expect(store.repositories.sessions.create({ computerName: 'mac' })).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
      await expect(store.transaction(async (tx) => tx.settings.set('t', 'v'))).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: 'TC_UNAVAILABLE' });
      expect(lost).toHaveLength(1);
      expect(store.lock.held).toBe(false);
      await expect(store.lock.acquire()).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });

      cluster.start();
      expect(await store.repositories.settings.get('k0')).toBe('v');
      await store.repositories.sessions.create({ computerName: 'mac' });
      expect(await store.repositories.sessions.count()).toBe(1);
      await store.lock.acquire();
      expect(store.lock.held).toBe(true);
      expect(store.lock.signal.aborted).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('pg_ctl restart with idle connections only: the lock-loss signal fires and the next queries succeed', async () => {
    const store = await openStore({ overrides: { engine: 'postgresql', postgresql: { url: cluster.url } }, env: {}, cwd: '/nonexistent', autoMigrate: true });
    try {
      await Promise.all(Array.from({ length: 3 }, () => store.repositories.settings.list()));
      const lost = new Promise<Error>((resolve) => store.lock.onLost(resolve));
      cluster.restart();
      expect(await lost).toMatchObject({ code: 'TC_UNAVAILABLE' });
      expect(await store.repositories.settings.get('k0')).toBe('v');
      await store.lock.acquire();
    } finally {
      await store.close();
    }
  });

  it('a statement slower than statementTimeoutMs fails with TC_UNAVAILABLE', async () => {
    const store = new PostgresStore({ url: cluster.url, statementTimeoutMs: 200 }, 'x');
    try {
      await expect(store.database.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: 'TC_UNAVAILABLE', message: expect.stringMatching(/timed out/) });
      expect((await store.database.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a server that never answers fails the connection after connectTimeoutMs with TC_UNAVAILABLE', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const store = new PostgresStore({ url: `postgresql://postgres@127.0.0.1:${port}/postgres`, connectTimeoutMs: 300 }, 'x');
    try {
      const started = Date.now();
      await expect(store.repositories.settings.list()).rejects.toMatchObject({ code: 'TC_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await store.close();
      silent.close();
    }
  });
});
