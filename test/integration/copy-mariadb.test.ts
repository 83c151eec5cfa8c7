import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { RowFactory, seedEveryTable } from '../support/copy-fixtures.js';
import { openLocation, repositoryReads, runCopy } from '../support/copy-cli.js';
import { createMariadbTestDatabase, createPgDatabase, createSqlitePath } from '../support/databases.js';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const copy = (...args: string[]) => runCopy(args);
const open = openLocation;

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

    const expected = await repositoryReads(file.path);
    expect(expected.memorySearch.length * expected.mirrorSearch.length * expected.sessions.length).toBeGreaterThan(0);
    expect(await repositoryReads(maria.url)).toEqual(expected);
    expect(await repositoryReads(pg.url)).toEqual(expected);

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
