import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../src/domain/errors.js';
import type { QueryEvent } from '../src/observability.js';
import { openStore, type OpenedStore, type OpenStoreOptions } from '../src/open-store.js';
import type { ConnectionSpec } from './contract/engines.js';
import { observedEngines } from './support/observed-engines.js';
import { openOptions } from './support/open-options.js';

/** A token no statement text contains, so finding it in an event means a parameter value leaked. */
const SECRET = 'tok-3f9a1c-never-in-sql';

const engines = observedEngines('tc_observe');

for (const engine of engines) {
  describe(`onQuery (${engine.name})`, () => {
    let spec: ConnectionSpec;
    const opened: OpenedStore[] = [];
    beforeAll(async () => {
      spec = await engine.setup();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    afterAll(() => engine.teardown());

    async function open(extra: Partial<OpenStoreOptions> = {}): Promise<{ store: OpenedStore; events: QueryEvent[] }> {
      const events: QueryEvent[] = [];
      const store = await openStore({ ...openOptions(spec), autoMigrate: true, instanceLock: false, onQuery: (e) => events.push(e), ...extra });
      opened.push(store);
      events.length = 0;
      return { store, events };
    }

    it('reports each statement of a repository call under its name, with engine and duration, and no parameter values', async () => {
      const { store, events } = await open();
      await store.repositories.sessions.create({ id: 'obs-1', computerName: SECRET });
      const afterCreate = events.length;
      expect(afterCreate).toBeGreaterThan(0);
      expect(events.every((e) => e.call === 'sessions.create')).toBe(true);
      expect(events.some((e) => /insert into sessions/i.test(e.sql))).toBe(true);

      events.length = 0;
      expect((await store.repositories.sessions.get('obs-1'))?.computerName).toBe(SECRET);
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(e.call).toBe('sessions.get');
        expect(e.engine).toBe(engine.name);
        expect(e.durationMs).toBeGreaterThanOrEqual(0);
        expect(e.durationMs).toBeLessThan(10_000);
        expect(e).not.toHaveProperty('parameters');
        expect(e).not.toHaveProperty('error');
        expect(JSON.stringify(e)).not.toContain('obs-1');
      }
      expect(events.some((e) => /from sessions/i.test(e.sql))).toBe(true);
    });

    it('never puts parameter values in an event unless includeParameters is set', async () => {
      const quiet = await open();
      await quiet.store.repositories.sessions.create({ computerName: SECRET });
      expect(quiet.events.length).toBeGreaterThan(0);
      expect(JSON.stringify(quiet.events)).not.toContain(SECRET);
      await quiet.store.close();

      const loud = await open({ includeParameters: true });
      await loud.store.repositories.sessions.create({ computerName: SECRET });
      const withValues = loud.events.filter((e) => e.parameters?.some((p) => p === SECRET || (typeof p === 'object' && JSON.stringify(p).includes(SECRET))));
      expect(withValues.length).toBeGreaterThan(0);
      expect(withValues.every((e) => e.call === 'sessions.create')).toBe(true);
    });

    it('reports a failing statement with its error, and the call still fails as before', async () => {
      const { store, events } = await open();
      await store.repositories.sessions.create({ id: 'dup', computerName: 'mac' });
      events.length = 0;
      await expect(store.repositories.sessions.create({ id: 'dup', computerName: 'mac' })).rejects.toBeInstanceOf(ConflictError);
      const failed = events.filter((e) => e.error !== undefined);
      expect(failed.length).toBe(1);
      expect(failed[0]!.call).toBe('sessions.create');
      expect(failed[0]!.sql).toMatch(/insert into sessions/i);
    });

    it('names queue claims and marks, inside and outside a transaction', async () => {
      const { store, events } = await open();
      const id = await store.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'stop' });
      events.length = 0;
      const [claimed] = await store.repositories.hookOutbox.claimBatch({ limit: 10 });
      expect(claimed!.id).toBe(id);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.call === 'hookOutbox.claimBatch')).toBe(true);
      expect(JSON.stringify(events)).not.toContain(claimed!.claimToken);

      events.length = 0;
      await store.repositories.hookOutbox.markDelivered(claimed!.id, claimed!.claimToken);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.call === 'hookOutbox.markDelivered')).toBe(true);

      events.length = 0;
      await store.transaction(async (tx) => {
        await tx.settings.set('obs.key', SECRET);
        await tx.sessions.get('nobody');
      });
      const calls = events.map((e) => e.call);
      expect(calls).toContain('settings.set');
      expect(calls).toContain('sessions.get');
      // BEGIN/COMMIT belong to the transaction, not to a repository call.
      expect(events.filter((e) => /^\s*commit/i.test(e.sql)).every((e) => e.call === undefined)).toBe(true);
      expect(JSON.stringify(events)).not.toContain(SECRET);
    });

    it('a throwing onQuery does not change what a repository call does', async () => {
      const store = await openStore({
        ...openOptions(spec),
        autoMigrate: true,
        instanceLock: false,
        onQuery: () => {
          throw new Error('observer bug');
        },
      });
      opened.push(store);
      await store.repositories.sessions.create({ id: 'obs-throw', computerName: 'mac' });
      expect((await store.repositories.sessions.get('obs-throw'))?.id).toBe('obs-throw');
    });
  });
}
