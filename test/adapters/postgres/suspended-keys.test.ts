import { describe, expect, it } from 'vitest';
import { diffSchemas } from '../../../src/migrations/schema-diff.js';
import { COPY_SUSPENDED_KEYS_TABLE } from '../../../src/ports/bulk-loader.js';
import { migratedPgStoreForFile } from '../../support/databases.js';

const SESSION = ['id', 'computer_name', 'title', 'created_at', 'last_activity'];
const DELETION = ['session_id', 'message_id', 'deletion_type', 'created_at'];
const at = new Date(Date.UTC(2026, 0, 1));

describe('PostgreSQL foreign-key suspension', () => {
  const pg = migratedPgStoreForFile('tc_suspend');

  const foreignKeys = async (table: string) =>
    (await pg.store.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass`, [table]))
      .rows[0]!.n;

  it('drops the keys while suspended (a child may load first); restore refuses an orphan, keeping them suspended, until it is gone', async () => {
    const before = await pg.store.inspector.schema();
    await pg.store.bulk.suspendForeignKeys(['pending_message_deletions', 'session_tokens']);
    expect(await foreignKeys('pending_message_deletions')).toBe(0);
    expect(await foreignKeys('session_tokens')).toBe(0);
    expect(await foreignKeys('webhook_outbox')).toBe(1);

    await pg.store.bulk.load('pending_message_deletions', DELETION, [[['s1', 'm1', 'user_input', at], ['ghost', 'm2', 'user_input', at]]]);
    await pg.store.bulk.load('sessions', SESSION, [[['s1', 'mac', 't', at, at]]]);
    const refused = await pg.store.bulk.restoreForeignKeys().catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'TC_FOREIGN_KEY' });
    expect(String((refused as Error).message)).toContain('ghost');
    expect(await foreignKeys('pending_message_deletions')).toBe(0);
    expect((await pg.store.database.query(`SELECT count(*)::int AS n FROM ${COPY_SUSPENDED_KEYS_TABLE}`)).rows[0]!.n).toBe(2);

    await pg.store.database.query(`DELETE FROM pending_message_deletions WHERE session_id = 'ghost'`);
    expect(await pg.store.bulk.restoreForeignKeys()).toBe(2);
    expect(diffSchemas(before, await pg.store.inspector.schema())).toEqual([]);
    expect((await pg.store.database.query(`SELECT to_regclass($1) AS t`, [COPY_SUSPENDED_KEYS_TABLE])).rows[0]!.t).toBeNull();
  });
});
