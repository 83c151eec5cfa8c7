import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { migratedPgStoreForFile } from '../../support/databases.js';

/**
 * The indexes migration 005 restored are used by the queries the ports send: each test runs
 * a port member, records the statement it sent, and asks the planner (EXPLAIN, plain
 * settings) for its plan on a seeded, analysed database of realistic shape.
 */
const pg = migratedPgStoreForFile('tc_index_use');
let sent: { text: string; params: unknown[] }[] = [];
let restore: (() => void) | null = null;

function record(store: PostgresStore): void {
  const database = store.database;
  const original = database.query.bind(database);
  (database as { query: unknown }).query = (text: string, params: unknown[] = []) => {
    sent.push({ text, params });
    return original(text, params);
  };
  restore = () => void ((database as { query: unknown }).query = original);
}

afterEach(() => {
  restore?.();
  restore = null;
  sent = [];
});

/** The plan of the one statement a port call sent, as EXPLAIN's text lines. */
async function planOf(call: () => Promise<unknown>): Promise<string> {
  record(pg.store);
  await call();
  restore!();
  expect(sent).toHaveLength(1);
  const { text, params } = sent[0]!;
  const { rows } = await pg.store.database.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

beforeAll(async () => {
  const db = pg.store.database;
  // 20 000 observations over 10 projects, 7 types, 50 identities and 10% unscoped; 2 000 contracts, 5% active.
  await db.query(`INSERT INTO memory_observations (memory_session_id, project, type, title, identity_key, created_at)
    SELECT 'm', 'p' || (i % 10), (ARRAY['preference','decision','discovery','gotcha','pattern','friction','context'])[1 + i % 7],
      'walrus' || (i % 300), CASE WHEN i % 10 = 0 THEN NULL ELSE 'k' || (i % 50) END, now() - i * interval '1 second'
    FROM generate_series(1, 20000) AS i`);
  await db.query(`INSERT INTO webhook_contracts (id, contract, active, created_at, updated_at)
    SELECT 'c' || i, '{}', i % 20 = 0, now(), now() FROM generate_series(1, 2000) AS i`);
  await db.query('ANALYZE memory_observations');
  await db.query('ANALYZE webhook_contracts');
});

describe('PostgreSQL: the restored indexes serve the port queries', () => {
  it('memory.recent of one type reads idx_memory_observations_project_type', async () => {
    const plan = await planOf(() => pg.store.repositories.memory.recent('p3', { type: 'gotcha', limit: 50 }));
    expect(plan).toMatch(/Index Scan.* using idx_memory_observations_project_type on memory_observations/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('memory.search of a project scoped to an identity reads idx_memory_observations_project_identity_key for both the key and the unscoped', async () => {
    const plan = await planOf(() => pg.store.repositories.memory.search('walrus17*', { project: 'p3', identityKey: 'k3' }));
    expect(plan.match(/Bitmap Index Scan on idx_memory_observations_project_identity_key/g), plan).toHaveLength(2);
    expect(plan).toMatch(/identity_key IS NULL/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('memory.recent scoped to an identity reads an index of the project, never the whole table', async () => {
    const plan = await planOf(() => pg.store.repositories.memory.recent('p3', { identityKey: 'k3' }));
    expect(plan).toMatch(/Index Scan.* using idx_memory_observations_project_\w+ on memory_observations/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('webhooks.listContracts of the active ones reads idx_webhook_contracts_active', async () => {
    const plan = await planOf(() => pg.store.repositories.webhooks.listContracts({ activeOnly: true }));
    expect(plan).toMatch(/Index.* on idx_webhook_contracts_active|Index.* using idx_webhook_contracts_active/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('without the index the same query scans the table (the check can fail)', async () => {
    await pg.store.database.transaction(async (tx) => {
      await tx.query('DROP INDEX idx_webhook_contracts_active');
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM webhook_contracts WHERE active ORDER BY id COLLATE "C"`);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Seq Scan on webhook_contracts/);
      throw new Error('roll back');
    }).catch((error: Error) => expect(error.message).toBe('roll back'));
    const { rows } = await pg.store.database.query("SELECT 1 FROM pg_indexes WHERE indexname = 'idx_webhook_contracts_active'");
    expect(rows).toHaveLength(1);
  });
});
