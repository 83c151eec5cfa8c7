import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { SqliteTableReader } from '../../../src/adapters/sqlite/sqlite-table-reader.js';
import { createSqlitePath } from '../../support/databases.js';

const COLUMNS = ['id', 'computer_name', 'title', 'created_at', 'last_activity'];
const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => [`s${from + i}`, 'mac', `t${from + i}`, new Date(0), new Date(0)]);

describe('SQLite table reader', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('reads one snapshot: rows a writer commits after the first read are not seen, and the file is never written', async () => {
    const file = createSqlitePath();
    closers.push(file.remove);
    const writer = new SqliteStore({ path: file.path });
    closers.push(() => writer.close());
    await writer.migrator.up();
    await writer.bulk.load('sessions', COLUMNS, [rows(0, 25)]);

    const reader = new SqliteTableReader(file.path, { snapshot: true });
    closers.push(() => reader.close());
    const batches = reader.rows('sessions', ['id'], 10)[Symbol.asyncIterator]();
    const first = await batches.next();
    expect((first.value as unknown[][]).length).toBe(10);

    // Another connection writes while the reader is half-way through.
    await writer.bulk.load('sessions', COLUMNS, [rows(100, 40)]);
    await writer.repositories.sessions.delete('s20');
    let seen = 10;
    for (let next = await batches.next(); !next.done; next = await batches.next()) seen += next.value.length;
    expect(seen).toBe(25);
    expect(await reader.count('sessions')).toBe(25);
    expect(await writer.repositories.sessions.count()).toBe(64);
    // Without a snapshot (a reader of a database being written, like a copy's target) each read sees the latest commit.
    const live = new SqliteTableReader(file.path);
    closers.push(() => live.close());
    expect(await live.count('sessions')).toBe(64);
    await writer.bulk.load('sessions', COLUMNS, [rows(200, 1)]);
    expect(await live.count('sessions')).toBe(65);

    await writer.close();
    const digest = createHash('sha256').update(readFileSync(file.path)).digest('hex');
    await reader.close();
    expect(createHash('sha256').update(readFileSync(file.path)).digest('hex')).toBe(digest);
  });
});
