import { describe, expect, it } from 'vitest';
import { diffSchemas } from '../../src/migrations/schema-diff.js';
import { JsonText } from '../../src/ports/bulk-loader.js';
import type { ContractContext } from './engines.js';

const COLUMNS = ['id', 'computer_name', 'title', 'adapter_metadata', 'initiated_by_ai', 'created_at', 'last_activity'];

function row(i: number): unknown[] {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
  return [`s${i}`, 'mac', `title ${i}`, { telegram: { topicId: i } }, i % 2 === 0, at, at];
}

export function bulkContract({ fresh }: ContractContext): void {
  describe('BulkLoader', () => {
    it('load writes every batch and the rows read back through the repositories', async () => {
      const store = await fresh();
      const batches = [Array.from({ length: 300 }, (_, i) => row(i)), Array.from({ length: 5 }, (_, i) => row(300 + i))];
      const seen: number[] = [];
      expect(await store.bulk.load('sessions', COLUMNS, batches, { onBatch: (n) => seen.push(n) })).toBe(305);
      expect(seen).toEqual([300, 305]);
      const s = (await store.repositories.sessions.get('s2'))!;
      expect(s.adapterMetadata).toEqual({ telegram: { topicId: 2 } });
      expect(s.initiatedByAi).toBe(true);
      expect(s.createdAt).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 0, 2)));
      expect(s.terminalSize).toBe('80x24');
      expect(await store.repositories.sessions.count()).toBe(305);
    });

    it('loading keeps the schema intact, after a failed load and after a successful one', async () => {
      const store = await fresh();
      const before = await store.inspector.schema();
      await expect(store.bulk.load('sessions', COLUMNS, [[row(1), row(1)]])).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect(diffSchemas(before, await store.inspector.schema())).toEqual([]);
      await store.bulk.load('sessions', COLUMNS, [Array.from({ length: 50 }, (_, i) => row(i))]);
      expect(diffSchemas(before, await store.inspector.schema())).toEqual([]);
      expect(await store.repositories.sessions.list({ computerName: 'mac' })).toHaveLength(50);
    });

    it('with onRefused, each row the target refuses is handed over with its reason and column, and every other row is written', async () => {
      const store = await fresh();
      const good = Array.from({ length: 7000 }, (_, i) => row(i)); // more than one segment
      const bad: unknown[][] = [
        [null, 'mac', 'no id', {}, false, new Date(0), new Date(0)], // NOT NULL (primary key)
        ['s-check', '', 'empty computer', {}, false, new Date(0), new Date(0)], // CHECK (computer_name <> '')
        ['s5', 'mac', 'duplicate of s5', {}, false, new Date(0), new Date(0)], // primary key taken
        ['s-null-title', 'mac', null, {}, false, new Date(0), new Date(0)], // NOT NULL
      ];
      const batches = [good.slice(0, 3000), [bad[0]!, ...good.slice(3000, 6500), bad[1]!], [bad[2]!, bad[3]!, ...good.slice(6500)]];
      const refused: { row: unknown[]; reason: string; column?: string }[] = [];
      const written = await store.bulk.load('sessions', COLUMNS, batches, { onRefused: (r, why) => refused.push({ row: r, ...why }) });
      expect(written).toBe(7000);
      expect(await store.repositories.sessions.count()).toBe(7000);
      expect(refused.map((r) => r.row)).toEqual(bad);
      expect(refused.map((r) => r.column)).toEqual(['id', 'computer_name', 'id', 'title']);
      for (const r of refused) expect(r.reason.length).toBeGreaterThan(5);
      expect((await store.repositories.sessions.get('s5'))!.title).toBe('title 5');
      // Something that is not about a row still fails the whole load, leaving nothing.
      await expect(store.bulk.load('sessions', ['id', 'no_such_column'], [[['x', 1]]], { onRefused: () => {} })).rejects.toThrow();
    });

    it('a failing batch leaves the table exactly as it was', async () => {
      const store = await fresh();
      await store.bulk.load('sessions', COLUMNS, [[row(1)]]);
      async function* batches() {
        yield [row(2), row(3)];
        yield [row(4), row(1)]; // duplicate id
      }
      await expect(store.bulk.load('sessions', COLUMNS, batches())).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect(await store.repositories.sessions.count()).toBe(1);
      await expect(store.bulk.load('sessions', COLUMNS, [[row(9)]], { replace: true })).resolves.toBe(1);
      expect((await store.repositories.sessions.list()).map((s) => s.id)).toEqual(['s9']);
    });

    it('load with journal records the table and its row count only when the rows commit', async () => {
      const store = await fresh();
      expect(await store.bulk.journal()).toEqual(new Map());
      async function* failing() {
        yield [row(1)];
        yield [row(1)];
      }
      await expect(store.bulk.load('sessions', COLUMNS, failing(), { journal: true })).rejects.toMatchObject({ code: 'TC_CONFLICT' });
      expect((await store.bulk.journal()).has('sessions')).toBe(false);
      await store.bulk.load('sessions', COLUMNS, [[row(1), row(2)]], { journal: true, replace: true });
      expect(await store.bulk.journalSources()).toEqual(new Set());
      await store.bulk.load('system_settings', ['key', 'value', 'updated_at'], [[['k', 'v', new Date()]]], { journal: true, source: 'old.db, last written X' });
      expect(await store.bulk.journal()).toEqual(new Map([['sessions', 2], ['system_settings', 1]]));
      expect(await store.bulk.journalSources()).toEqual(new Set(['old.db, last written X']));
      await store.bulk.dropJournal();
      await store.bulk.dropJournal();
      expect(await store.bulk.journal()).toEqual(new Map());
      expect(await store.bulk.journalSources()).toEqual(new Set());
      expect(await store.repositories.sessions.count()).toBe(2);
    });

    it('JSON as text is stored as JSON; malformed text fails the load, naming nothing written', async () => {
      const store = await fresh();
      const asText = (i: number, json: string) => [...row(i).slice(0, 3), new JsonText(json), ...row(i).slice(4)];
      await store.bulk.load('sessions', COLUMNS, [[asText(1, '{"telegram": {"topicId": 7}, "name": "caf\\u00e9"}')]]);
      expect((await store.repositories.sessions.get('s1'))!.adapterMetadata).toEqual({ telegram: { topicId: 7 }, name: 'café' });
      const failed = await store.bulk.load('sessions', COLUMNS, [[asText(2, '{"ok": true}'), asText(3, '{"broken": ')]]).catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: 'TC_VALIDATION' });
      expect(await store.repositories.sessions.count()).toBe(1);
    });

    it('clear empties every listed table in one go, in any order', async () => {
      const store = await fresh();
      await store.bulk.load('sessions', COLUMNS, [[row(1), row(2)]]);
      await store.repositories.voices.assign('s1', 'openai', 'nova');
      await store.repositories.settings.set('k', 'v');
      // Tables whose foreign keys point at sessions must be emptied with it.
      const { tables } = await store.inspector.schema();
      const children = tables.filter((t) => t.foreignKeys.some((fk) => fk.references === 'sessions')).map((t) => t.name);
      await store.bulk.clear(['sessions', 'voice_assignments', ...children]);
      expect(await store.repositories.sessions.count()).toBe(0);
      expect(await store.repositories.voices.get('s1')).toBeNull();
      expect(await store.repositories.settings.get('k')).toBe('v');
      await store.bulk.load('sessions', COLUMNS, [[row(1)]]);
      expect(await store.repositories.sessions.count()).toBe(1);
    });
  });
}

const DELETION = ['session_id', 'message_id', 'deletion_type', 'created_at'];
const deletion = (session: string, message: string): unknown[] => [session, message, 'user_input', new Date(Date.UTC(2026, 0, 2))];

export function suspendedKeysContract({ fresh, another }: ContractContext): void {
  describe('BulkLoader foreign-key suspension', () => {
    it('suspend, load parents and children, restore: the schema is as migrated and the keys hold again', async () => {
      const store = await fresh();
      const before = await store.inspector.schema();
      const tables = before.tables.map((t) => t.name);
      await store.bulk.suspendForeignKeys(tables);
      try {
        await store.bulk.load('sessions', COLUMNS, [[row(1), row(2)]]);
        await store.bulk.load('pending_message_deletions', DELETION, [[deletion('s1', 'm1'), deletion('s2', 'm2')]]);
      } finally {
        await store.bulk.restoreForeignKeys();
      }
      expect(diffSchemas(before, await store.inspector.schema())).toEqual([]);
      expect(await store.bulk.restoreForeignKeys()).toBe(0);
      await expect(store.bulk.load('pending_message_deletions', DELETION, [[deletion('nope', 'm3')]])).rejects.toMatchObject({
        code: 'TC_FOREIGN_KEY',
      });
      expect(await store.repositories.pendingDeletions.list('s1', 'user_input')).toHaveLength(1);
      // The cascade is back too.
      await store.repositories.sessions.delete('s1');
      expect(await store.repositories.pendingDeletions.list('s1', 'user_input')).toEqual([]);
    });

    it('keys suspended by one store are restored by another (an interrupted copy resumed by a new process)', async () => {
      const first = await fresh();
      const before = await first.inspector.schema();
      await first.bulk.suspendForeignKeys(['pending_message_deletions', 'session_tokens']);
      await first.bulk.suspendForeignKeys(['pending_message_deletions']);
      await first.close();
      const second = await another();
      await second.bulk.restoreForeignKeys();
      expect(diffSchemas(before, await second.inspector.schema())).toEqual([]);
      expect(await second.bulk.restoreForeignKeys()).toBe(0);
    });
  });
}

export function tableReaderContract({ fresh, reader }: ContractContext): void {
  describe('TableReader', () => {
    it('missingKeys names exactly the keys without a row; orphanCount counts rows without a parent', async () => {
      const store = await fresh();
      await store.bulk.load('sessions', COLUMNS, [[row(1), row(2)]]);
      await store.bulk.load('pending_message_deletions', DELETION, [[deletion('s1', 'm1'), deletion('s2', 'm2'), deletion('s2', 'm3')]]);
      const source = reader();
      expect(await source.missingKeys('sessions', ['id'], [['s1'], ['s2'], ['s1']])).toEqual(new Set());
      expect(await source.missingKeys('sessions', ['id'], [['s1'], ['x'], ['y'], ['x']])).toEqual(new Set(['["x"]', '["y"]']));
      expect(await source.missingKeys('sessions', ['id', 'title'], [['s1', 'title 1'], ['s2', 'title 1']])).toEqual(new Set(['["s2","title 1"]']));
      expect(await source.missingKeys('sessions', ['id'], [])).toEqual(new Set());
      expect(await source.orphanCount('pending_message_deletions', ['session_id'], 'sessions', ['id'])).toBe(0);
      // Against another column every row is an orphan, except where the values happen to match.
      expect(await source.orphanCount('pending_message_deletions', ['session_id'], 'sessions', ['title'])).toBe(3);
      expect(await source.orphanCount('pending_message_deletions', ['message_id'], 'pending_message_deletions', ['message_id'])).toBe(0);
    });
  });
}
