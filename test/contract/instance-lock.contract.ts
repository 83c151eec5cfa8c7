import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKENS } from '../../src/container.js';
import { openStore, type OpenedStore } from '../../src/open-store.js';
import type { InstanceLock } from '../../src/ports/instance-lock.js';
import { exited, openOptions, spawnLockHolder } from '../support/open-options.js';
import type { ContractContext } from './engines.js';

export function instanceLockContract({ fresh, connection, capabilities }: ContractContext): void {
  describe('openStore and the instance lock', () => {
    const opened: OpenedStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    async function open(extra: Parameters<typeof openStore>[0] = {}): Promise<OpenedStore> {
      const store = await openStore({ ...openOptions(connection()), ...extra });
      opened.push(store);
      return store;
    }

    it('a second openStore fails with TC_INSTANCE_LOCKED naming the holder, and succeeds after the first closes', async () => {
      await (await fresh()).close();
      const first = await open();
      expect(first.lock.held).toBe(true);
      const error = await open().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: process.pid, host: hostname() } });
      expect((error as Error).message).toContain(`pid ${process.pid}`);
      await first.close();
      const second = await open();
      expect(second.lock.held).toBe(true);
      expect(await second.repositories.sessions.count()).toBe(0);
    });

    it('a reader opened without the instance lock works next to the holder', async () => {
      await (await fresh()).close();
      const daemon = await open();
      const reader = await open({ instanceLock: false });
      expect(reader.lock.held).toBe(false);
      await daemon.repositories.settings.set('k', 'v');
      expect(await reader.repositories.settings.get('k')).toBe('v');
    });

    it('holder() is null when the lock is free and names the holder while it is held', async () => {
      await (await fresh()).close();
      const reader = await open({ instanceLock: false });
      expect(await reader.lock.holder()).toBeNull();
      const daemon = await open();
      expect(await reader.lock.holder()).toMatchObject({ pid: process.pid, host: hostname() });
      await daemon.close();
      expect(await reader.lock.holder()).toBeNull();
    });

    it('close is idempotent, releases the lock, and the container resolves the lock', async () => {
      await (await fresh()).close();
      const store = await open();
      expect(store.container.resolve<InstanceLock>(TOKENS.InstanceLock)).toBe(store.lock);
      await Promise.all([store.close(), store.close()]);
      await store.close();
      expect(store.lock.held).toBe(false);
      expect(store.lock.signal.aborted).toBe(false);
      await (await open()).close();
    });

    it('refuses pending migrations unless autoMigrate, and releases the lock when it refuses', async () => {
      const store = await fresh();
      await store.migrator.down({ all: true });
      await store.close();
      await expect(open()).rejects.toMatchObject({ code: 'TC_MIGRATION' });
      const migrated = await open({ autoMigrate: true });
      expect((await migrated.migrator.state()).pending).toEqual([]);
    });

    it('after the holder process is killed with SIGKILL, a new process acquires the lock within the engine\'s bound', async () => {
      await (await fresh()).close();
      const child = await spawnLockHolder(connection());
      try {
        await expect(open()).rejects.toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: child.pid } });
        child.kill('SIGKILL');
        await exited(child);
        const started = Date.now();
        let store: OpenedStore | null = null;
        // The OS drops a dead process's file lock at once; a PostgreSQL lease runs out.
        while (!store) {
          store = await open().catch((error: { code?: string }) => {
            if (error.code !== 'TC_INSTANCE_LOCKED' || Date.now() - started > capabilities.crashedLockFreedWithinMs) throw error;
            return null;
          });
          if (!store) await new Promise((r) => setTimeout(r, 100));
        }
        expect(store.lock.held).toBe(true);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
}
