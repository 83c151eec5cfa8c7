import type { Statement } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { createSqlitePath } from '../../support/databases.js';

/**
 * The indexes migration 005 restored, and the outboxes' claim-order indexes, are used by the
 * queries the ports send: each test runs a port member, records the statements it prepared (in
 * either row mode) and the parameters it ran them with, and asks SQLite for their plans
 * (EXPLAIN QUERY PLAN) on a seeded database.
 */
const path = createSqlitePath();
let store: SqliteStore;

beforeAll(async () => {
  store = new SqliteStore({ path: path.path });
  await store.migrator.up();
  await store.database.run((db) => {
    // 5 000 observations over 10 projects, 7 types, 50 identities and 10% unscoped; 500 contracts, 5% active.
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
      INSERT INTO memory_observations (memory_session_id, project, type, title, identity_key, created_at)
      SELECT 'm', 'p' || (i % 10), json_extract('["preference","decision","discovery","gotcha","pattern","friction","context"]', '$[' || (i % 7) || ']'),
        'walrus' || (i % 300), CASE WHEN i % 10 = 0 THEN NULL ELSE 'k' || (i % 50) END, 1773576000000 - i * 1000 FROM n`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
      INSERT INTO webhook_contracts (id, contract, active, created_at, updated_at) SELECT 'c' || i, '{}', i % 20 = 0, 0, 0 FROM n`);
    // A backlog: 2 000 rows due in each outbox.
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at) SELECT 's', 'stop', '{}', i, i FROM n`);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO webhook_outbox (contract_id, event, target_url, created_at, next_attempt_at) SELECT 'c1', '{}', 'https://example.com/h', i, i FROM n`);
    // 2 000 delivered inbound messages of 20 sessions, then one pending message.
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO inbound_queue (session_id, origin, message_type, status, created_at, processed_at)
      SELECT 's' || (i % 20), 'telegram', 'text', 'delivered', i, i FROM n`);
    db.exec(`INSERT INTO inbound_queue (session_id, origin, message_type, created_at) VALUES ('s1', 'telegram', 'text', 3000)`);
  });
});

afterAll(async () => {
  await store?.close();
  path.remove();
});

/** The plans of the statements a port call ran, in order, each as EXPLAIN QUERY PLAN's detail lines. */
async function plansOf(call: () => Promise<unknown>): Promise<string[]> {
  const database = store.database;
  const originals = { prepare: database.prepare.bind(database), prepareRaw: database.prepareRaw.bind(database) };
  const ran: { sql: string; params: unknown[] }[] = [];
  const recording = (original: (sql: string) => Statement) => (sql: string) => {
    const statement = original(sql);
    return new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'all' || key === 'get' || key === 'run' || key === 'iterate') {
          return (...params: unknown[]) => {
            ran.push({ sql, params });
            return (value as (...a: unknown[]) => unknown).apply(target, params);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  };
  Object.assign(database, { prepare: recording(originals.prepare), prepareRaw: recording(originals.prepareRaw) });
  try {
    await call();
  } finally {
    Object.assign(database, originals);
  }
  return store.database.run((db) =>
    ran.map(({ sql, params }) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n')),
  );
}

/** The plan of the one statement a port call ran. */
async function planOf(call: () => Promise<unknown>): Promise<string> {
  const plans = await plansOf(call);
  expect(plans).toHaveLength(1);
  return plans[0]!;
}

describe('SQLite: the restored indexes serve the port queries', () => {
  it('memory.recent of one type searches idx_memory_observations_project_type', async () => {
    const plan = await planOf(() => store.repositories.memory.recent('p3', { type: 'gotcha', limit: 50 }));
    expect(plan).toMatch(/SEARCH memory_observations USING (COVERING )?INDEX idx_memory_observations_project_type \(project=\? AND type=\?\)/);
  });

  it('memory.recent and memory.search scoped to an identity search an index of the project, never scan the table', async () => {
    for (const call of [
      () => store.repositories.memory.recent('p3', { identityKey: 'k3' }),
      () => store.repositories.memory.search('walrus17*', { project: 'p3', identityKey: 'k3' }),
    ]) {
      const plan = await planOf(call);
      expect(plan).toMatch(/SEARCH memory_observations USING (COVERING )?INDEX idx_memory_observations_project_\w+ \(project=\?/);
      expect(plan).not.toMatch(/SCAN memory_observations\b(?!_fts)/);
    }
  });

  it('webhooks.listContracts of the active ones searches idx_webhook_contracts_active', async () => {
    const plan = await planOf(() => store.repositories.webhooks.listContracts({ activeOnly: true }));
    expect(plan).toMatch(/SEARCH webhook_contracts USING (COVERING )?INDEX idx_webhook_contracts_active \(active=\?\)/);
  });

  it('without the index the same query scans the table (the check can fail)', async () => {
    await store.database.run((db) => db.exec('SAVEPOINT probe; DROP INDEX idx_webhook_contracts_active;'));
    let plan: string;
    try {
      plan = await planOf(() => store.repositories.webhooks.listContracts({ activeOnly: true }));
    } finally {
      await store.database.run((db) => db.exec('ROLLBACK TO probe; RELEASE probe;'));
    }
    expect(plan).toMatch(/SCAN webhook_contracts/);
    expect(await store.database.run((db) => db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'idx_webhook_contracts_active'").get())).toBeDefined();
  });

  it('a claim of a backlog reads the claim-order index up to its batch in one statement: no sort of every due row', async () => {
    for (const [table, claim] of [
      ['hook_outbox', () => store.repositories.hookOutbox.claimBatch({ limit: 20 })],
      ['webhook_outbox', () => store.repositories.webhooks.claimBatch({ limit: 20 })],
    ] as const) {
      let claimed = 0;
      const plans = await plansOf(async () => {
        claimed = (await claim()).length;
      });
      expect(claimed).toBe(20);
      expect(plans).toHaveLength(1);
      expect(plans[0]).toMatch(new RegExp(`^SEARCH ${table} USING INTEGER PRIMARY KEY \\(rowid=\\?\\)$`, 'm'));
      expect(plans[0]).toMatch(new RegExp(`^SCAN ${table} USING INDEX idx_${table}_claim_order$`, 'm'));
      expect(plans[0]).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('inbound claimNext reads the open messages through idx_inbound_queue_open, not the delivered history', async () => {
    let claimed: number | undefined;
    const plans = await plansOf(async () => {
      claimed = (await store.repositories.inboundQueue.claimNext())?.id;
    });
    expect(claimed).toBe(2001);
    expect(plans[0]).toMatch(/^SCAN q USING INDEX idx_inbound_queue_open\b/);
    expect(plans.join('\n')).not.toMatch(/SCAN (q|o|inbound_queue)$/m);
  });
});
