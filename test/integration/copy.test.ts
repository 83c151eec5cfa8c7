import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { createInstanceLock } from '../../src/container.js';
import { diffSchemas } from '../../src/migrations/schema-diff.js';
import type { Store } from '../../src/ports/store.js';
import { RowFactory, seedEveryTable } from '../support/copy-fixtures.js';
import { createSqlitePath } from '../support/databases.js';
import { HARNESSES, harnesses, type EngineHarness } from '../support/harness/index.js';
import { openLocation, repositoryReads, runCopy } from '../support/copy-cli.js';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const copy = (...args: string[]) => runCopy(args);
const open = openLocation;
const reads = repositoryReads;

async function sqliteFile(seed?: (store: Store) => Promise<unknown>): Promise<string> {
  const file = createSqlitePath();
  cleanup.push(file.remove);
  if (seed) {
    const store = new SqliteStore({ path: file.path });
    await store.migrator.up();
    await seed(store);
    await store.close();
  }
  return file.path;
}

/** A new, empty database of `harness`'s engine, removed after the file; its location as `copy` takes it. */
async function databaseOf(harness: EngineHarness): Promise<string> {
  const db = await harness.createDatabase('tc_copy');
  cleanup.push(db.remove);
  return db.spec.location;
}

const pgUrl = () => databaseOf(HARNESSES.postgresql);

describe('teleclaude-db copy', () => {
  const others = harnesses().filter((h) => h !== HARNESSES.sqlite);
  it(`copies a seeded database SQLite -> ${others.map((h) => h.name).join(' -> ')} -> new SQLite; each verifies equal and the repositories read the same`, async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 137));
    const hash = createHash('sha256').update(readFileSync(source)).digest('hex');
    // Through every other registered engine in turn, each copy from the previous one.
    const chain = [source];
    for (const harness of others) {
      const next = await databaseOf(harness);
      const there = await copy('--from', chain.at(-1)!, '--to', next, '--verify', '--batch-size', '50');
      expect(there.output).toContain('verify: every table has the same rows and checksum');
      expect(there.code, there.output).toBe(0);
      chain.push(next);
    }
    const back = await sqliteFile();
    const again = await copy('--from', chain.at(-1)!, '--to', back, '--verify');
    expect(again.code, again.output).toBe(0);
    chain.push(back);
    const expected = await reads(source);
    expect(expected.memorySearch.length * expected.mirrorSearch.length * expected.sessions.length).toBeGreaterThan(0);
    for (const location of chain.slice(1)) expect(await reads(location)).toEqual(expected);
    expect(createHash('sha256').update(readFileSync(source)).digest('hex')).toBe(hash);

    // Identity counters moved past the copied ids: a new row without an id never collides.
    for (const location of chain.slice(1)) {
      const store = open(location);
      const schema = await store.inspector.schema();
      const factory = new RowFactory(schema, () => 137);
      for (const table of factory.order) {
        const key = table.primaryKey.length === 1 ? table.columns.find((c) => c.name === table.primaryKey[0]) : undefined;
        if (key?.typeClass !== 'integer') continue;
        const row = factory.row(table, 500).filter((_, i) => table.columns[i] !== key);
        await expect(store.bulk.load(table.name, table.columns.filter((c) => c !== key).map((c) => c.name), [[row]])).resolves.toBe(1);
      }
      await store.close();
    }
  });

  it('refuses a target that holds data unless --resume, and --verify alone checks an existing pair', async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 20));
    const target = await sqliteFile();
    expect((await copy('--from', source, '--to', target)).code).toBe(0);
    const refused = await copy('--from', source, '--to', target);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/already holds data/);
    const verified = await copy('--from', source, '--to', target, '--verify');
    expect(verified.output).toMatch(/verifying it against the source, copying nothing/);
    expect(verified.code).toBe(0);

    const store = new SqliteStore({ path: target });
    await store.repositories.settings.set('extra', 'changed after the copy');
    await store.close();
    const differs = await copy('--from', source, '--to', target, '--verify');
    expect(differs.code).toBe(1);
    expect(differs.output).toMatch(/verify: FAILED for system_settings/);
  });

  it('refuses while a daemon holds the source’s instance lock', async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 5));
    const lock = createInstanceLock(resolveConfig({ overrides: { engine: 'sqlite', sqlite: { path: source } }, env: {}, cwd: '/tmp' }).database);
    await lock.acquire();
    try {
      const target = await sqliteFile();
      const refused = await copy('--from', source, '--to', target);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/a daemon is using the source .*pid \d+.*\[TC_INSTANCE_LOCKED\]/);
      expect(existsSync(target)).toBe(false);
    } finally {
      await lock.release();
    }
  });

  it('backfills the owner of every copied session that has none', async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 30));
    const target = await pgUrl();
    const result = await copy('--from', source, '--to', target, '--owner-person', 'alice', '--owner-uid', '1001', '--verify');
    expect(result.code, result.output).toBe(0);
    const store = open(target);
    const sessions = await store.repositories.sessions.list({ includeClosed: true, includeInitializing: true, includeHeadless: true });
    await store.close();
    expect(sessions).toHaveLength(30);
    expect(sessions.every((s) => s.ownerPerson !== null)).toBe(true);
    expect(sessions.filter((s) => s.ownerPerson === 'alice' && s.ownerUid === 1001).length).toBeGreaterThan(0);
  });

  it('rejects orphans of a file of ours written without foreign keys, leaves the target’s keys in place, and verifies', async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 20));
    const raw = new Database(source);
    raw.pragma('foreign_keys = OFF');
    raw.prepare(`INSERT INTO session_tokens (token, session_id, principal, role, issued_at, expires_at) SELECT 'orphan-token', 'gone', principal, role, issued_at, expires_at FROM session_tokens LIMIT 1`).run();
    raw.close();
    const target = await pgUrl();
    const rejects = join(dirname(source), 'rejects.jsonl');
    const result = await copy('--from', source, '--to', target, '--reject-file', rejects, '--verify');
    expect(result.code, result.output).toBe(0);
    const lines = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { table: string; id: string; reason: string });
    expect(lines).toEqual([expect.objectContaining({ table: 'session_tokens', id: 'orphan-token', reason: expect.stringContaining('orphan') })]);
    const store = open(target);
    try {
      expect(await store.repositories.sessionTokens.validate('orphan-token')).toBeNull();
      // Every foreign key is back: the schema equals a freshly migrated one.
      const fresh = await sqliteFile();
      const reference = new SqliteStore({ path: fresh });
      await reference.migrator.up();
      expect(diffSchemas(await reference.inspector.schema(), await store.inspector.schema())).toEqual([]);
      await reference.close();
    } finally {
      await store.close();
    }
  });

  // The JSON of a file of ours goes to the target unchecked (its schema checks json_valid()),
  // so the target's own check finds what a hand edit broke; a row the copy leaves out never
  // reaches the target: its malformed JSON must be reported all the same, as a pre-scan would.
  it('reports the malformed JSON of an orphan it leaves out, as well as the orphan', async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 10));
    const raw = new Database(source);
    raw.pragma('foreign_keys = OFF');
    raw.pragma('ignore_check_constraints = ON');
    const id = raw
      .prepare(
        `INSERT INTO webhook_outbox (contract_id, event, target_url, status, created_at, next_attempt_at)
         SELECT 'gone', '{"broken', target_url, status, created_at, next_attempt_at FROM webhook_outbox LIMIT 1 RETURNING id`,
      )
      .pluck()
      .get() as number;
    raw.close();
    const target = await pgUrl();
    const rejects = join(dirname(source), 'rejects.jsonl');
    const result = await copy('--from', source, '--to', target, '--reject-file', rejects, '--verify');
    expect(result.code, result.output).toBe(0);
    const lines = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ table: 'webhook_outbox', id: String(id), kind: 'invalid', column: 'event', value: '{"broken', reason: 'malformed JSON' }),
      expect.objectContaining({ table: 'webhook_outbox', id: String(id), kind: 'orphan', reason: expect.stringContaining('orphan') }),
    ]);
  });

  it.each(harnesses().map((h) => [h.name, h] as const))('refuses a row with a NUL in its text and malformed JSON for the NUL alone, as a parsed copy does (into %s)', async (engine, harness) => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 10));
    const raw = new Database(source);
    raw.pragma('ignore_check_constraints = ON');
    const { id } = raw.prepare(`SELECT id FROM sessions ORDER BY id LIMIT 1`).get() as { id: string };
    raw.prepare(`UPDATE sessions SET adapter_metadata = '{"telegram": ', title = 'a' || char(0) || 'b' WHERE id = ?`).run(id);
    raw.close();
    const target = await databaseOf(harness);
    const rejects = join(dirname(source), `rejects-${engine}.jsonl`);
    const result = await copy('--from', source, '--to', target, '--reject-file', rejects);
    expect(result.code, result.output).toBe(0);
    const lines = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The session alone is refused (its JSON is not reported: the row is left out whole); its children follow it as orphans.
    expect(lines[0]).toEqual(expect.objectContaining({ table: 'sessions', id, kind: 'refused', column: 'title' }));
    expect(lines.slice(1).length).toBeGreaterThan(0);
    expect(lines.slice(1).every((l) => l.kind === 'orphan' && String(l.reason).includes(id))).toBe(true);
  });

  it.each(harnesses().map((h) => [h.name, h] as const))('reports a malformed JSON value of a file of ours in the reject file and copies the rest (into %s)', async (engine, harness) => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 10));
    const raw = new Database(source);
    raw.pragma('ignore_check_constraints = ON'); // the schema's json_valid() checks: a hand edit bypassing them
    const { id } = raw.prepare(`SELECT id FROM sessions ORDER BY id LIMIT 1`).get() as { id: string };
    raw.prepare(`UPDATE sessions SET adapter_metadata = '{"telegram": ' WHERE id = ?`).run(id);
    raw.close();
    const target = await databaseOf(harness);
    const rejects = join(dirname(source), `rejects-${engine}.jsonl`);
    const result = await copy('--from', source, '--to', target, '--reject-file', rejects, '--verify');
    expect(result.code, result.output).toBe(0);
    const lines = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ table: 'sessions', id, column: 'adapter_metadata', value: '{"telegram": ', reason: 'malformed JSON' })]);
    const store = open(target);
    try {
      expect(await store.repositories.sessions.count()).toBe(10);
      expect((await store.repositories.sessions.get(id))!.adapterMetadata).toEqual({});
    } finally {
      await store.close();
    }
  });

  it('refuses a mirror whose distinct words no engine can index alike, and copies one as long made of few words', async () => {
    const source = await sqliteFile((store) => seedEveryTable(store, () => 10));
    const raw = new Database(source);
    const ids = raw.prepare(`SELECT id FROM mirrors ORDER BY id LIMIT 2`).pluck().all() as number[];
    // 200,000 distinct hex words (over 1 MB of index) and 200,000 copies of one word: as long, one lexeme.
    const hashes = Array.from({ length: 200_000 }, (_, i) => createHash('sha1').update(String(i)).digest('hex').slice(0, 12)).join(' ');
    raw.prepare(`UPDATE mirrors SET conversation_text = ? WHERE id = ?`).run(hashes, ids[0]);
    raw.prepare(`UPDATE mirrors SET conversation_text = ? WHERE id = ?`).run('repeated '.repeat(200_000), ids[1]);
    raw.close();
    const target = await pgUrl();
    const rejects = join(dirname(source), 'rejects-search.jsonl');
    const result = await copy('--from', source, '--to', target, '--reject-file', rejects);
    expect(result.code, result.output).toBe(0);
    const lines = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ table: 'mirrors', id: String(ids[0]), kind: 'refused', column: 'conversation_text' })]);
    expect(String(lines[0]!.reason)).toMatch(/too many distinct words/);
    const store = open(target);
    try {
      expect(await store.repositories.mirrors.search('repeated', { limit: 10 })).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
