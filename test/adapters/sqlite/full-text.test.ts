import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { createSqlitePath } from '../../support/databases.js';

const stores: { store: SqliteStore; remove: () => void }[] = [];

async function open(): Promise<SqliteStore> {
  const path = createSqlitePath();
  const store = new SqliteStore({ path: path.path });
  await store.migrator.up();
  stores.push({ store, remove: path.remove });
  return store;
}

afterEach(async () => {
  for (const { store, remove } of stores.splice(0)) {
    await store.close();
    remove();
  }
});

/** FTS5's own check; with rank 1 it also compares the index with the external content. */
function ftsConsistent(store: SqliteStore, table: string): Promise<void> {
  return store.database.run((db) => void db.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('integrity-check', 1)`).run());
}

describe('SQLite FTS5 search tables', () => {
  it('the trigger-maintained indexes equal a rebuild from the content after inserts, updates and deletes', async () => {
    const store = await open();
    const r = store.repositories;
    const keep = await r.memory.save({ memorySessionId: 'm', project: 'p', type: 'gotcha', title: 'T', facts: ['line\nbreak', 'say "hi"'], concepts: ['x'] });
    const gone = await r.memory.save({ memorySessionId: 'm', project: 'p', type: 'gotcha', title: 'U', facts: ['back\\nslash'] });
    await r.memory.delete(gone.id);
    await r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', title: 'one', conversationText: 'two' });
    await r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', title: 'three', conversationText: 'four' });
    await r.mirrors.upsert({ sourceIdentity: 't', agent: 'claude', title: 'five' });
    await r.mirrors.tombstone({ sourceIdentity: 't', agent: 'claude' });
    await ftsConsistent(store, 'memory_observations_fts');
    await ftsConsistent(store, 'mirrors_fts');
    await store.database.run((db) => db.exec("INSERT INTO memory_observations_fts (memory_observations_fts) VALUES ('rebuild')"));
    expect((await r.memory.search('break hi')).map((o) => o.id)).toEqual([keep.id]);
    expect(await r.memory.search('nslash')).toEqual([]);
    expect(await store.inspector.integrityProblems()).toEqual([]);
  });

  it('rows written by the bulk loader are indexed by the triggers', async () => {
    const store = await open();
    const at = new Date('2026-01-01T00:00:00Z');
    await store.bulk.load(
      'memory_observations',
      ['id', 'memory_session_id', 'project', 'type', 'title', 'facts', 'concepts', 'created_at'],
      [[[7, 'm', 'p', 'pattern', 'imported', ['pelican'], [], at]]],
    );
    expect((await store.repositories.memory.search('IMPORTED pelican')).map((o) => o.id)).toEqual([7]);
  });

  it('the tokenizer splits on symbols and marks, keeps diacritics and folds case', async () => {
    const store = await open();
    const r = store.repositories;
    await r.mirrors.upsert({ sourceIdentity: 's', agent: 'a', conversationText: 'ÄRGER a²b café ann@example.com foo_bar' });
    for (const query of ['ärger', 'a b', 'café', 'example', 'bar']) expect(await r.mirrors.search(query)).toHaveLength(1);
    for (const query of ['arger', 'cafe', 'a²b2', 'foo_bar_baz']) expect(await r.mirrors.search(query)).toHaveLength(0);
  });
});
