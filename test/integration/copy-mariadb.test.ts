import { afterAll, describe, expect, it } from 'vitest';
import { MariadbStore } from '../../src/adapters/mariadb/mariadb-store.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import type { Store } from '../../src/ports/store.js';
import { RowFactory, seedEveryTable } from '../support/copy-fixtures.js';
import { createMariadbTestDatabase, createPgDatabase, createSqlitePath } from '../support/databases.js';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function copy(...args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false, env: {}, cwd: '/tmp' };
  const code = await main(['copy', ...args], io);
  return { code, output: lines.join('\n') };
}

function open(location: string): Store {
  if (location.startsWith('postgresql://')) return new PostgresStore({ url: location }, location);
  if (location.startsWith('mariadb://')) return new MariadbStore({ url: location }, location);
  return new SqliteStore({ path: location });
}

/** What the repositories' read operations return, in an engine-independent order. */
async function reads(location: string): Promise<unknown> {
  const store = open(location);
  try {
    const r = store.repositories;
    const sessions = (await r.sessions.list({ includeClosed: true, includeInitializing: true, includeHeadless: true })).sort((a, b) => a.id.localeCompare(b.id));
    return {
      sessions,
      count: await r.sessions.count(),
      byTitle: (await r.sessions.findByTitlePrefix('title')).map((s) => s.id).sort(),
      voice: await r.voices.get('voice_assignments-1'),
      settings: await r.settings.list(),
      pendingDeletions: await r.pendingDeletions.list('sessions-0', 'user_input'),
      agents: await r.agentAvailability.list(),
      listeners: [await r.listeners.count(), await r.listeners.listForTarget('sessions-1')],
      link: [await r.conversationLinks.get('conversation_links-2'), await r.conversationLinks.members('conversation_links-2')],
      token: await r.sessionTokens.validate('session_tokens-3'),
      memory: [await r.memory.recent('project 1 words for search 1'), await r.memory.getByIds([1, 2, 3])],
      // Full-text indexes are rebuilt on each target: the same words find the same rows.
      memorySearch: (await r.memory.search('words search', { limit: 100 })).map((o) => o.id).sort(),
      mirrors: await r.mirrors.list(),
      mirrorSearch: (await r.mirrors.search('conversation words', { limit: 100 })).map((m) => m.id).sort(),
      rowCounts: await store.inspector.rowCounts(),
    };
  } finally {
    await store.close();
  }
}

describe('teleclaude-db copy through MariaDB', () => {
  it('copies a seeded SQLite database to MariaDB and from there to PostgreSQL, each --verify passing, the repositories reading the same', async () => {
    const file = createSqlitePath();
    cleanup.push(file.remove);
    const seeded = new SqliteStore({ path: file.path });
    await seeded.migrator.up();
    await seedEveryTable(seeded, () => 97);
    await seeded.close();
    const maria = await createMariadbTestDatabase('tc_copy');
    cleanup.push(maria.drop);
    const pg = await createPgDatabase('tc_copy');
    cleanup.push(pg.drop);

    const there = await copy('--from', file.path, '--to', maria.url, '--verify', '--batch-size', '40');
    expect(there.code, there.output).toBe(0);
    expect(there.output).toContain('verify: every table has the same rows and checksum');
    const onward = await copy('--from', maria.url, '--to', pg.url, '--verify');
    expect(onward.code, onward.output).toBe(0);
    expect(onward.output).toContain('verify: every table has the same rows and checksum');

    const expected = (await reads(file.path)) as { memorySearch: number[]; mirrorSearch: number[]; sessions: unknown[] };
    expect(expected.memorySearch.length * expected.mirrorSearch.length * expected.sessions.length).toBeGreaterThan(0);
    expect(await reads(maria.url)).toEqual(expected);
    expect(await reads(pg.url)).toEqual(expected);

    // A changed row on MariaDB makes --verify against the SQLite source fail, naming the table.
    const store = open(maria.url);
    await store.repositories.settings.set('extra', 'written after the copy');
    await store.close();
    const differs = await copy('--from', file.path, '--to', maria.url, '--verify');
    expect(differs.code).toBe(1);
    expect(differs.output).toMatch(/verify: FAILED for system_settings/);

    // AUTO_INCREMENT moved past the copied ids: a new row without an id never collides.
    const target = open(maria.url);
    try {
      const schema = await target.inspector.schema();
      const factory = new RowFactory(schema, () => 97);
      for (const table of factory.order) {
        const key = table.primaryKey.length === 1 ? table.columns.find((c) => c.name === table.primaryKey[0]) : undefined;
        if (key?.typeClass !== 'integer') continue;
        const row = factory.row(table, 500).filter((_, i) => table.columns[i] !== key);
        await expect(target.bulk.load(table.name, table.columns.filter((c) => c !== key).map((c) => c.name), [[row]])).resolves.toBe(1);
      }
    } finally {
      await target.close();
    }
  });
});
