import { describe, expect, it } from 'vitest';
import { JsonText } from '../../../src/ports/bulk-loader.js';
import { migratedPgStoreForFile } from '../../support/databases.js';

/** Texts that stress the word rules: case, Unicode, punctuation, JSON escapes, long words. */
const TEXTS = [
  'Hello World',
  'ÉCOLE café Straße İstanbul ΣΊΣΥΦΟΣ',
  'mail a.b@example.com, see https://x.io/a-b?c=d#e and C:\\path\\to\\file.txt',
  'snake_case kebab-case camelCase 3.14 v1.2.3 1e-7 ½ ² ١٢٣',
  'scientific look-alikes 1e5x 2e2e x1e5 12e3',
  'quotes "double" \'single\' back\\slash tab\there new\nline',
  'emoji 🚀 and 日本語のテキスト with 中文',
  `${'x'.repeat(3000)} short`,
  '',
  '!!! ??? ...',
];
const FACTS = [[], ['a\nb', 'c"d', 'e\\f', 'g\u0001h'], ['Ünïcödé', 'tab\tsep', '\u2028line']];

describe('PostgreSQL search vectors: bulk-computed equal trigger-computed', () => {
  const pg = migratedPgStoreForFile('tc_vectors');

  it('memory_observations: the vector sent by the bulk loader is the one the trigger computes', async () => {
    const rows: unknown[][] = [];
    let id = 0;
    for (const title of TEXTS) {
      for (const facts of FACTS) {
        id += 1;
        rows.push([id, 'm', 'p', 'discovery', title || 't', TEXTS[(id + 3) % TEXTS.length], facts, TEXTS[(id + 5) % TEXTS.length], facts.slice().reverse(), new Date()]);
      }
    }
    const columns = ['id', 'memory_session_id', 'project', 'type', 'title', 'subtitle', 'facts', 'narrative', 'concepts', 'created_at'];
    await pg.store.bulk.load('memory_observations', columns, [rows]);
    // Through the trigger: the same rows inserted by plain SQL, without a vector.
    for (const row of rows) {
      await pg.store.database.query(
        `INSERT INTO memory_observations (id, memory_session_id, project, type, title, subtitle, facts, narrative, concepts, created_at)
         VALUES ($1 + 100000, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        row.map((v) => (Array.isArray(v) ? JSON.stringify(v) : v)),
      );
    }
    const { rows: pairs } = await pg.store.database.query<{ id: number; bulk: string; trigger: string }>(
      `SELECT a.id, a.search_vector::text AS bulk, b.search_vector::text AS trigger
       FROM memory_observations a JOIN memory_observations b ON b.id = a.id + 100000 ORDER BY a.id`,
    );
    expect(pairs).toHaveLength(rows.length);
    for (const p of pairs) expect(p.bulk, `row ${p.id}`).toBe(p.trigger);
    expect(pairs.some((p) => p.bulk.includes("'straße'"))).toBe(true);

    // The same rows with their JSON as text, as the older daemon wrote it (Python's json.dumps:
    // non-ASCII as \uXXXX escapes, a space after each comma), passed on unparsed.
    const pythonJson = (value: unknown) =>
      new JsonText(JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/","/g, '", "'));
    const asText = rows.map((row) => row.map((v, i) => (i === 0 ? (v as number) + 200000 : Array.isArray(v) ? pythonJson(v) : v)));
    expect(asText.some((row) => (row[6] as JsonText).text.includes('\\u00dc'))).toBe(true);
    await pg.store.bulk.load('memory_observations', columns, [asText]);
    const { rows: textPairs } = await pg.store.database.query<{ id: number; bulk: string; trigger: string; same: boolean }>(
      `SELECT a.id, a.search_vector::text AS bulk, b.search_vector::text AS trigger, a.facts = b.facts AND a.concepts = b.concepts AS same
       FROM memory_observations a JOIN memory_observations b ON b.id = a.id - 100000 WHERE a.id > 200000 ORDER BY a.id`,
    );
    expect(textPairs).toHaveLength(rows.length);
    for (const p of textPairs) expect([p.bulk, p.same], `row ${p.id}`).toEqual([p.trigger, true]);
  });

  it('mirrors: the vector sent by the bulk loader is the one the trigger computes', async () => {
    const columns = ['source_identity', 'agent', 'title', 'conversation_text', 'message_count', 'metadata', 'created_at', 'updated_at'];
    const now = new Date();
    const rows = TEXTS.map((text, i) => [`bulk-${i}`, 'claude', TEXTS[(i + 1) % TEXTS.length], text, 1, {}, now, now]);
    await pg.store.bulk.load('mirrors', columns, [rows]);
    for (const [i, text] of TEXTS.entries()) {
      await pg.store.database.query(
        `INSERT INTO mirrors (source_identity, agent, title, conversation_text, message_count, metadata, created_at, updated_at)
         VALUES ($1, 'claude', $2, $3, 1, '{}', now(), now())`,
        [`sql-${i}`, TEXTS[(i + 1) % TEXTS.length], text],
      );
    }
    const { rows: pairs } = await pg.store.database.query<{ bulk: string; trigger: string }>(
      `SELECT a.search_vector::text AS bulk, b.search_vector::text AS trigger
       FROM mirrors a JOIN mirrors b ON b.source_identity = 'sql-' || substr(a.source_identity, 6)
       WHERE a.source_identity LIKE 'bulk-%'`,
    );
    expect(pairs).toHaveLength(TEXTS.length);
    for (const p of pairs) expect(p.bulk).toBe(p.trigger);
  });

  it('an update that changes the text recomputes the vector', async () => {
    await pg.store.database.query("UPDATE mirrors SET conversation_text = 'entirely fresh words' WHERE source_identity = 'bulk-0'");
    const { rows } = await pg.store.database.query<{ v: string }>("SELECT search_vector::text AS v FROM mirrors WHERE source_identity = 'bulk-0'");
    expect(rows[0]!.v).toContain("'fresh'");
    expect(rows[0]!.v).not.toContain("'hello'");
  });
});

describe('PostgreSQL migration 005: search vectors of the package words', () => {
  const pg = migratedPgStoreForFile('tc_vectors_005');

  it('recomputes the vectors of existing rows on the way up, and the parser-made ones on the way down', async () => {
    const db = pg.store.database;
    await pg.store.migrator.down({ to: '005_daemon_parity' });
    await db.query(`INSERT INTO mirrors (source_identity, agent, title, conversation_text, created_at, updated_at)
      VALUES ('m', 'claude', 'Sci', 'values 1e5x and 2e2e', now(), now())`);
    await db.query(`INSERT INTO memory_observations (memory_session_id, project, type, title, facts, created_at)
      VALUES ('s', 'p', 'gotcha', 'x1e5', '["12e3abc"]', now())`);
    const vectors = async () =>
      (
        await db.query<{ v: string }>(
          "SELECT search_vector::text AS v FROM mirrors UNION ALL SELECT search_vector::text FROM memory_observations",
        )
      ).rows.map((r) => r.v);
    // PostgreSQL's parser reads 1e5, 2e2 and 12e3 as numbers in scientific notation and splits them off.
    expect(await vectors()).toEqual(["'1e5' '2e2' 'and' 'e' 'sci' 'values' 'x'", "'12e3' 'abc' 'x1e5'"]);
    await pg.store.migrator.up();
    expect(await vectors()).toEqual(["'1e5x' '2e2e' 'and' 'sci' 'values'", "'12e3abc' 'x1e5'"]);
    expect((await pg.store.repositories.mirrors.search('1e5*')).map((m) => m.sourceIdentity)).toEqual(['m']);
    expect(await pg.store.repositories.mirrors.search('x*')).toEqual([]);
    expect((await pg.store.repositories.memory.search('12e3a*')).length).toBe(1);
  });
});
