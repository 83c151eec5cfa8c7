import { afterAll, describe, expect, it } from 'vitest';
import type { EngineName } from '../../src/engines/registry.js';
import { harnesses } from '../support/harness/index.js';
import { storeFor } from '../support/open-options.js';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

/**
 * How each engine's 003 schema spells what the raw rows below need: an instant
 * (2026-03-15T18:03:10.123Z), and the search columns of a mirror titled "findme", which
 * each engine keeps as its migrations define them (SQLite: an FTS table its triggers fill).
 */
const AT_003: Record<EngineName, { at: string; searchColumns: string; searchValues: string }> = {
  sqlite: { at: '1773597790123', searchColumns: '', searchValues: '' },
  postgresql: { at: "'2026-03-15T18:03:10.123Z'", searchColumns: ', search_vector', searchValues: ", to_tsvector('simple', 'findme words')" },
  mariadb: { at: '1773597790123', searchColumns: ', search_words', searchValues: `, '["findme","words"]'` },
};

describe.each(harnesses().map((h) => [h.name, h] as const))('migration 004_legacy_facts on %s', (engine, harness) => {
  it('converts stored tombstone mtimes to nanoseconds, keeps mirrors and their search, and goes back down', async () => {
    const database = await harness.createDatabase('tc_m004');
    cleanups.push(() => database.remove());
    const store = storeFor(database.spec);
    cleanups.push(() => store.close());
    const { at, searchColumns, searchValues } = AT_003[engine];

    await store.migrator.up({ to: '003_domain_rest' });
    await database.exec(
      `INSERT INTO mirror_tombstones (source_identity, agent, file_mtime, created_at) VALUES ('a', 'claude', 1700000000123.5, ${at}), ('b', 'claude', NULL, ${at})`,
    );
    await database.exec(
      `INSERT INTO mirrors (source_identity, agent, title, conversation_text, created_at, updated_at${searchColumns}) VALUES ('m', 'claude', 'findme', 'words', ${at}, ${at}${searchValues})`,
    );
    await store.migrator.up({ to: '004_legacy_facts' });

    // Exact: 1700000000123.5 ms is 1700000000123500000 ns, no digit lost to floating point.
    expect(await database.query('SELECT source_identity, file_mtime_ns FROM mirror_tombstones ORDER BY source_identity')).toEqual([
      { source_identity: 'a', file_mtime_ns: '1700000000123500000' },
      { source_identity: 'b', file_mtime_ns: null },
    ]);
    expect((await store.repositories.mirrors.search('findme')).map((m) => m.sourceIdentity)).toEqual(['m']);
    await store.repositories.mirrors.upsert({ sourceIdentity: 'n', agent: 'claude', title: 'findme too' });
    expect((await store.repositories.mirrors.search('findme')).map((m) => m.sourceIdentity).sort()).toEqual(['m', 'n']);
    // 004 lets the reason be free text; the domain still reads a bare "degraded" as degraded.
    await store.repositories.agentAvailability.markDegraded('claude', null, 'slow');

    await store.migrator.down({ to: '004_legacy_facts' });
    expect(await database.query("SELECT file_mtime FROM mirror_tombstones WHERE source_identity = 'a'")).toEqual([{ file_mtime: 1700000000123.5 }]);
  });
});
