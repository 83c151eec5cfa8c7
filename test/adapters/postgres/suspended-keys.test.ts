import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { diffSchemas } from '../../../src/migrations/schema-diff.js';
import { COPY_SUSPENDED_KEYS_TABLE } from '../../../src/ports/bulk-loader.js';
import { createPgDatabase } from '../../support/databases.js';

const SESSION = ['id', 'computer_name', 'title', 'created_at', 'last_activity'];
const DELETION = ['session_id', 'message_id', 'deletion_type', 'created_at'];
const at = new Date(Date.UTC(2026, 0, 1));

describe('PostgreSQL foreign-key suspension', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createPgDatabase('tc_suspend');
    store = new PostgresStore({ url: db.url }, 'x');
    await store.migrator.up();
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const foreignKeys = async (table: string) =>
    (await store.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass`, [table]))
      .rows[0]!.n;

  it('drops the keys while suspended (a child may load first); restore refuses an orphan, keeping them suspended, until it is gone', async () => {
    const before = await store.inspector.schema();
    await store.bulk.suspendForeignKeys(['pending_message_deletions', 'session_tokens']);
    expect(await foreignKeys('pending_message_deletions')).toBe(0);
    expect(await foreignKeys('session_tokens')).toBe(0);
    expect(await foreignKeys('webhook_outbox')).toBe(1);

    await store.bulk.load('pending_message_deletions', DELETION, [[['s1', 'm1', 'user_input', at], ['ghost', 'm2', 'user_input', at]]]);
    await store.bulk.load('sessions', SESSION, [[['s1', 'mac', 't', at, at]]]);
    const refused = await store.bulk.restoreForeignKeys().catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'TC_FOREIGN_KEY' });
    expect(String((refused as Error).message)).toContain('ghost');
    expect(await foreignKeys('pending_message_deletions')).toBe(0);
    expect((await store.database.query(`SELECT count(*)::int AS n FROM ${COPY_SUSPENDED_KEYS_TABLE}`)).rows[0]!.n).toBe(2);

    await store.database.query(`DELETE FROM pending_message_deletions WHERE session_id = 'ghost'`);
    expect(await store.bulk.restoreForeignKeys()).toBe(2);
    expect(diffSchemas(before, await store.inspector.schema())).toEqual([]);
    expect((await store.database.query(`SELECT to_regclass($1) AS t`, [COPY_SUSPENDED_KEYS_TABLE])).rows[0]!.t).toBeNull();
  });
});
