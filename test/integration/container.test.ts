import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { REPOSITORY_TOKENS, TOKENS, createContainer } from '../../src/container.js';
import { openStore } from '../../src/open-store.js';
import { REPOSITORY_NAMES } from '../../src/ports/repositories.js';
import type { SessionRepository } from '../../src/ports/session-repository.js';
import type { Store } from '../../src/ports/store.js';
import { harnesses } from '../support/harness/index.js';
import { connectionEnv } from '../support/open-options.js';

describe.each(harnesses().map((harness) => ({ name: harness.name, harness })))('container on $name', ({ harness }) => {
  const client = harness.clientClass;
  let env: NodeJS.ProcessEnv;
  let cleanup: () => unknown;
  beforeAll(async () => {
    const db = await harness.createDatabase('tc_container');
    env = connectionEnv(db.spec);
    cleanup = db.remove;
  });
  afterAll(() => cleanup());

  it('resolves every registered token, each repository being the store’s own', async () => {
    const store = await openStore({ env, cwd: '/nonexistent', autoMigrate: true });
    try {
      const c = store.container;
      for (const token of Object.values(TOKENS)) expect(c.resolve(token), String(token)).toBeDefined();
      expect(c.resolve(TOKENS.DatabaseClient)).toBeInstanceOf(client);
      expect(c.resolve<Store>(TOKENS.Store)).toBe(store);
      for (const key of REPOSITORY_NAMES) expect(c.resolve(REPOSITORY_TOKENS[key])).toBe(store.repositories[key]);
      const sessions = c.resolve<SessionRepository>(TOKENS.SessionRepository);
      const s = await sessions.create({ computerName: 'di' });
      expect(await store.repositories.sessions.get(s.id)).toEqual(s);
    } finally {
      await store.close();
    }
  });

  it('every repository of the store has a token', () => {
    expect(Object.keys(REPOSITORY_TOKENS).sort()).toEqual([...REPOSITORY_NAMES].sort());
  });

  it('containers are independent: two databases do not share registrations', async () => {
    const { database } = resolveConfig({ env, cwd: '/nonexistent' });
    const a = createContainer(database);
    const b = createContainer({ ...database, sqlite: { ...database.sqlite, path: ':memory:' } });
    expect(a.resolve(TOKENS.Store)).not.toBe(b.resolve(TOKENS.Store));
    await a.resolve<Store>(TOKENS.Store).close();
    await b.resolve<Store>(TOKENS.Store).close();
  });

  it('openStore refuses pending migrations unless autoMigrate', async () => {
    const db = await harness.createDatabase('tc_pending');
    try {
      await expect(openStore({ env: connectionEnv(db.spec), cwd: '/nonexistent' })).rejects.toMatchObject({ code: 'TC_MIGRATION' });
    } finally {
      await db.remove();
    }
  });
});
