import { describe, expect, it } from 'vitest';
import type { ContractContext } from './engines.js';

export function storeContract({ fresh }: ContractContext): void {
  describe('Store.transaction', () => {
    it('commits every write when the function resolves', async () => {
      const store = await fresh();
      const id = await store.transaction(async (tx) => {
        const s = await tx.sessions.create({ computerName: 'mac' });
        await tx.settings.set('last', s.id);
        return s.id;
      });
      expect(await store.repositories.sessions.get(id)).not.toBeNull();
      expect(await store.repositories.settings.get('last')).toBe(id);
    });

    it('rolls back every write and rethrows when the function throws', async () => {
      const store = await fresh();
      const boom = new Error('boom');
      await expect(
        store.transaction(async (tx) => {
          await tx.sessions.create({ id: 'rolled', computerName: 'mac' });
          await tx.settings.set('k', 'v');
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await store.repositories.sessions.get('rolled')).toBeNull();
      expect(await store.repositories.settings.get('k')).toBeNull();
    });

    it('a domain error inside the transaction rolls back the earlier writes', async () => {
      const store = await fresh();
      await store.repositories.sessions.create({ id: 'taken', computerName: 'mac' });
      await expect(
        store.transaction(async (tx) => {
          await tx.settings.set('k', 'v');
          await tx.sessions.create({ id: 'taken', computerName: 'pc' });
        }),
      ).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect(await store.repositories.settings.get('k')).toBeNull();
    });

    it('work outside the transaction does not see or interleave with its uncommitted writes', async () => {
      const store = await fresh();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const tx = store.transaction(async (t) => {
        await t.settings.set('k', 'inside');
        entered();
        await gate;
        await t.settings.set('k', 'final');
      });
      await inside;
      const outside = store.repositories.settings.get('k');
      release();
      await tx;
      // SQLite waits for the commit; PostgreSQL reads the committed state (none) or after commit.
      expect([null, 'final']).toContain(await outside);
      expect(await store.repositories.settings.get('k')).toBe('final');
    });

    it('concurrent transactions each commit completely', async () => {
      const store = await fresh();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.sessions.create({ id: `s${i}`, computerName: 'mac' });
            await tx.settings.set(`k${i}`, String(i));
          }),
        ),
      );
      expect(await store.repositories.sessions.count()).toBe(10);
      expect(await store.repositories.settings.list()).toHaveLength(10);
    });

    it('store.repositories used inside store.transaction is refused with a TypeError, and the transaction still commits what tx wrote', async () => {
      const store = await fresh();
      const refused = await store.transaction(async (tx) => {
        await tx.settings.set('k', 'inside');
        return store.repositories.settings.get('k').then(
          () => null,
          (error: unknown) => error,
        );
      });
      expect(refused).toBeInstanceOf(TypeError);
      expect((refused as Error).message).toMatch(/store\.repositories used inside store\.transaction/);
      expect(await store.repositories.settings.get('k')).toBe('inside');
    });

    it('store.transaction inside store.transaction is refused with a TypeError instead of waiting forever', async () => {
      const store = await fresh();
      await expect(store.transaction(async () => store.transaction(async (inner) => inner.settings.set('k', 'v')))).rejects.toThrow(
        TypeError,
      );
      expect(await store.repositories.settings.get('k')).toBeNull();
      await store.transaction((tx) => tx.settings.set('k', 'v'));
      expect(await store.repositories.settings.get('k')).toBe('v');
    });

    it('work scheduled inside a transaction that runs after it ended uses the store normally', async () => {
      const store = await fresh();
      let later!: Promise<string | null>;
      await store.transaction(async (tx) => {
        await tx.settings.set('k', 'committed');
        later = new Promise((resolve, reject) => setTimeout(() => store.repositories.settings.get('k').then(resolve, reject), 50));
      });
      expect(await later).toBe('committed');
    });

    it('close is idempotent', async () => {
      const store = await fresh();
      await store.close();
      await store.close();
    });
  });
}
