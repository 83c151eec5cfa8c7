import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { Store } from '../../src/ports/store.js';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

async function fresh(engine: 'sqlite' | 'postgresql'): Promise<{ store: Store; sql: (text: string) => Promise<Record<string, unknown>[]> }> {
  if (engine === 'sqlite') {
    const file = createSqlitePath();
    cleanups.push(file.remove);
    const store = new SqliteStore({ path: file.path });
    cleanups.push(() => store.close());
    return {
      store,
      sql: (text) =>
        store.database.run((db) => {
          const statement = db.prepare(text);
          return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
        }),
    };
  }
  const db = await createPgDatabase('tc_m004');
  cleanups.push(db.drop);
  const store = new PostgresStore({ url: db.url }, db.url);
  cleanups.push(() => store.close());
  return { store, sql: async (text) => (await store.database.query(text)).rows as Record<string, unknown>[] };
}

describe.each(['sqlite', 'postgresql'] as const)('migration 004_legacy_facts on %s', (engine) => {
  it('converts stored tombstone mtimes to nanoseconds, keeps mirrors and their search, and goes back down', async () => {
    const { store, sql } = await fresh(engine);
    await store.migrator.up({ to: '003_domain_rest' });
    const at = engine === 'sqlite' ? '1773597790123' : "'2026-03-15T18:03:10.123Z'";
    await sql(`INSERT INTO mirror_tombstones (source_identity, agent, file_mtime, created_at) VALUES ('a', 'claude', 1700000000123.5, ${at}), ('b', 'claude', NULL, ${at})`);
    const search = engine === 'sqlite' ? '' : ", search_vector";
    const vector = engine === 'sqlite' ? '' : ", to_tsvector('simple', 'findme')";
    await sql(`INSERT INTO mirrors (source_identity, agent, title, conversation_text, created_at, updated_at${search}) VALUES ('m', 'claude', 'findme', 'words', ${at}, ${at}${vector})`);
    await store.migrator.up({ to: '004_legacy_facts' });

    expect(await sql('SELECT source_identity, file_mtime_ns FROM mirror_tombstones ORDER BY source_identity')).toEqual([
      { source_identity: 'a', file_mtime_ns: '1700000000123500000' },
      { source_identity: 'b', file_mtime_ns: null },
    ]);
    expect((await store.repositories.mirrors.search('findme')).map((m) => m.sourceIdentity)).toEqual(['m']);
    await store.repositories.mirrors.upsert({ sourceIdentity: 'n', agent: 'claude', title: 'findme too' });
    expect((await store.repositories.mirrors.search('findme')).map((m) => m.sourceIdentity).sort()).toEqual(['m', 'n']);
    await store.repositories.agentAvailability.markDegraded('claude', null, 'slow');

    await store.migrator.down({ to: '004_legacy_facts' });
    expect(await sql("SELECT file_mtime FROM mirror_tombstones WHERE source_identity = 'a'")).toEqual([{ file_mtime: 1700000000123.5 }]);
  });
});
