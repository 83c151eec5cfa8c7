import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariadbStore } from '../../../src/adapters/mariadb/mariadb-store.js';
import { mariadbMigrations } from '../../../src/migrations/mariadb/index.js';
import { postgresMigrations } from '../../../src/migrations/postgres/index.js';
import { createMariadbTestDatabase } from '../../support/databases.js';
import { ManualClock } from '../../support/manual-clock.js';

/**
 * What the MariaDB migration set and repositories do that the shared contract does not
 * reach: the legacy conversion of 004 and its refusal going back, the collation, keys
 * longer than their column, the word tables under a query of many terms.
 */
describe('MariaDB schema and repositories', () => {
  let db: Awaited<ReturnType<typeof createMariadbTestDatabase>>;
  let store: MariadbStore;
  const sql = async (text: string) => (await store.database.query(text)).rows;

  beforeAll(async () => {
    db = await createMariadbTestDatabase('tc_mbschema');
    store = new MariadbStore({ url: db.url }, db.url, new ManualClock());
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('has the same migration names in the same order as the other sets', () => {
    expect(mariadbMigrations.map((m) => m.name)).toEqual(postgresMigrations.map((m) => m.name));
  });

  it('004 converts tombstone mtimes to exact nanoseconds and keeps mirrors searchable; going back refuses a NULL identity before changing anything', async () => {
    await store.migrator.up({ to: '003_domain_rest' });
    await sql(`INSERT INTO mirror_tombstones (source_identity, agent, file_mtime, created_at)
      VALUES ('a', 'claude', 1700000000123.5, 1), ('b', 'claude', NULL, 1), ('c', 'claude', -5, 1), ('d', 'claude', 0.000001, 1)`);
    await sql(`INSERT INTO mirrors (source_identity, agent, title, conversation_text, created_at, updated_at, search_words)
      VALUES ('m', 'claude', 'findme', 'words', 1, 1, '["findme","words"]')`);
    await store.migrator.up();
    expect(await sql('SELECT source_identity, file_mtime_ns FROM mirror_tombstones ORDER BY source_identity')).toEqual([
      { source_identity: 'a', file_mtime_ns: '1700000000123500000' },
      { source_identity: 'b', file_mtime_ns: null },
      { source_identity: 'c', file_mtime_ns: null },
      { source_identity: 'd', file_mtime_ns: '1' },
    ]);
    expect((await store.repositories.mirrors.search('findme')).map((m) => m.sourceIdentity)).toEqual(['m']);

    await sql(`INSERT INTO mirrors (source_identity, agent, conversation_text, created_at, updated_at, search_words) VALUES (NULL, 'claude', '', 2, 2, '[]')`);
    await expect(store.migrator.down({ to: '004_legacy_facts' })).rejects.toThrow(/004_legacy_facts.*source_identity/s);
    const state = await store.migrator.state();
    expect(state.applied.map((a) => a.name)).toContain('004_legacy_facts');
    expect(state.pending).toEqual(['005_daemon_parity', '007_queue_claims', '008_claim_indexes']);

    await sql('DELETE FROM mirrors WHERE source_identity IS NULL');
    expect(await store.migrator.down({ to: '004_legacy_facts' })).toEqual(['004_legacy_facts']);
    expect(await sql("SELECT file_mtime FROM mirror_tombstones WHERE source_identity IN ('a', 'd') ORDER BY source_identity")).toEqual([
      { file_mtime: 1700000000123.5 },
      { file_mtime: 0.000001 },
    ]);
    await store.migrator.up();
  });

  it('keys compare by code point, case and trailing spaces significant, as on the other engines', async () => {
    const r = store.repositories.settings;
    for (const key of ['k', 'k ', 'K', 'é', 'z', 'Z', 'a']) await r.set(key, key);
    expect(await r.get('k ')).toBe('k ');
    expect(await r.get('K')).toBe('K');
    expect((await r.list()).map((s) => s.key)).toEqual(['K', 'Z', 'a', 'k', 'k ', 'z', 'é']);
  });

  it('a key longer than its column is refused with a ValidationError naming the column, and nothing is written', async () => {
    const r = store.repositories.sessions;
    const before = await r.count();
    await expect(r.create({ id: 'x'.repeat(256), computerName: 'c' })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'id' });
    expect(await r.count()).toBe(before);
    expect((await r.create({ id: 'y'.repeat(255), computerName: 'c' })).id).toHaveLength(255);
  });

  it('a search of many terms requires every one of them, whole or as a prefix, and stays fast', async () => {
    const words = Array.from({ length: 1200 }, (_, i) => `w${i}x`);
    await store.repositories.mirrors.upsert({ sourceIdentity: 'many', agent: 'claude', conversationText: words.join(' ') });
    await store.repositories.mirrors.upsert({ sourceIdentity: 'few', agent: 'claude', conversationText: words.slice(0, 30).join(' ') });
    const started = performance.now();
    expect((await store.repositories.mirrors.search(words.slice(0, 80).join(' '))).map((m) => m.sourceIdentity)).toEqual(['many']);
    expect((await store.repositories.mirrors.search(words.slice(0, 25).join(' '))).map((m) => m.sourceIdentity).sort()).toEqual(['few', 'many']);
    expect((await store.repositories.mirrors.search(words.slice(0, 80).map((w) => `${w.slice(0, -1)}*`).join(' '))).map((m) => m.sourceIdentity)).toEqual([
      'many',
    ]);
    expect(await store.repositories.mirrors.search(`${words.slice(0, 80).join(' ')} absent`)).toEqual([]);
    // Four searches of 80 terms; one EXISTS per term took over a second each to plan.
    expect(performance.now() - started).toBeLessThan(4000);
    // The word table follows the row: replacing the text replaces its words.
    await store.repositories.mirrors.upsert({ sourceIdentity: 'few', agent: 'claude', conversationText: 'other' });
    expect((await store.repositories.mirrors.search('w0x')).map((m) => m.sourceIdentity)).toEqual(['many']);
    expect(await sql("SELECT count(*) AS n FROM mirrors_words w JOIN mirrors m ON m.id = w.mirror_id WHERE m.source_identity = 'few'")).toEqual([{ n: 1 }]);
  });
});
