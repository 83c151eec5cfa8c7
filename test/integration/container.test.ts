import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { REPOSITORY_TOKENS, TOKENS, createContainer } from '../../src/container.js';
import { openStore } from '../../src/open-store.js';
import { REPOSITORY_NAMES } from '../../src/ports/repositories.js';
import type { SessionRepository } from '../../src/ports/session-repository.js';
import type { Store } from '../../src/ports/store.js';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';

const engines = [
  { name: 'sqlite', client: Database },
  { name: 'postgresql', client: pg.Pool },
] as const;

describe.each(engines)('container on $name', ({ name, client }) => {
  let env: NodeJS.ProcessEnv;
  let cleanup: () => unknown;
  beforeAll(async () => {
    if (name === 'sqlite') {
      const file = createSqlitePath();
      env = { TELECLAUDE_DB_PATH: file.path };
      cleanup = file.remove;
    } else {
      const db = await createPgDatabase('tc_container');
      env = { DATABASE_URL: db.url };
      cleanup = db.drop;
    }
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
    let fresh: NodeJS.ProcessEnv;
    let remove: () => unknown;
    if (name === 'sqlite') {
      const file = createSqlitePath();
      fresh = { TELECLAUDE_DB_PATH: file.path };
      remove = file.remove;
    } else {
      const db = await createPgDatabase('tc_pending');
      fresh = { DATABASE_URL: db.url };
      remove = db.drop;
    }
    try {
      await expect(openStore({ env: fresh, cwd: '/nonexistent' })).rejects.toMatchObject({ code: 'TC_MIGRATION' });
    } finally {
      await remove();
    }
  });
});
