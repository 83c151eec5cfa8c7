import { beforeAll, describe, expect, it } from 'vitest';
import { JsonText } from '../../../src/ports/bulk-loader.js';
import { migratedPgStoreForFile } from '../../support/databases.js';

/** Values at the edges of each type, loaded through the bulk loader and read back as PostgreSQL stores them. */
const TIMES = [
  new Date(0),
  new Date(-1),
  new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
  new Date(Date.UTC(1900, 0, 1)),
  new Date(Date.UTC(2000, 0, 1)),
  new Date(Date.UTC(2000, 0, 1) - 1),
  new Date(Date.UTC(2026, 2, 15, 18, 3, 10, 123)),
  new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
  new Date(Date.UTC(20000, 0, 1)),
];
const TEXTS = ['', 'plain', 'tab\tnew\nline\r back\\slash', 'é'.repeat(64), `${'a'.repeat(63)}é`, `${'a'.repeat(64)}é`, '日本語🚀', 'x'.repeat(100_000)];
const BIGINTS = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];

describe('PostgreSQL bulk load formats', () => {
  const pg = migratedPgStoreForFile('tc_formats');
  beforeAll(async () => {
    await pg.store.database.query(`CREATE TABLE binary_types (
      id integer PRIMARY KEY, t text, b bigint, f double precision, ok boolean, at timestamptz, doc jsonb, plain json, v tsvector)`);
    // numeric has no binary writer: this table goes through the text format.
    await pg.store.database.query(`CREATE TABLE text_types (
      id integer PRIMARY KEY, t text, b bigint, n numeric, ok boolean, at timestamptz, doc jsonb, v tsvector)`);
  });

  const rows = () =>
    Array.from({ length: Math.max(TIMES.length, TEXTS.length, BIGINTS.length) }, (_, i) => ({
      id: i,
      t: TEXTS[i % TEXTS.length]!,
      b: BIGINTS[i % BIGINTS.length]!,
      f: i === 0 ? -0.5 : i * 1e300,
      ok: i % 2 === 0,
      at: TIMES[i % TIMES.length]!,
      doc: i % 2 === 0 ? { k: TEXTS[i % TEXTS.length], n: i } : new JsonText(`{"k": "caf\\u00e9", "n": ${i}}`),
      v: ['zeta', 'alpha', `w${i}`],
    }));

  for (const [table, columns] of [
    ['binary_types', ['id', 't', 'b', 'f', 'ok', 'at', 'doc', 'plain', 'v']],
    ['text_types', ['id', 't', 'b', 'n', 'ok', 'at', 'doc', 'v']],
  ] as const) {
    it(`${table}: every value reads back as written`, async () => {
      const input = rows();
      const values: unknown[][] = input.map((r) => columns.map((c) => (c === 'plain' ? [r.t, r.id] : c === 'n' ? r.b : r[c as keyof typeof r])));
      values.push([1000, ...columns.slice(1).map(() => null)]);
      expect(await pg.store.bulk.load(table, [...columns], [values])).toBe(values.length);
      const { rows: back } = await pg.store.database.query<Record<string, unknown>>(
        `SELECT id, t, b::text AS b, ok, at, (extract(epoch FROM at) * 1000)::bigint AS ms, doc, v::text AS v FROM ${table} ORDER BY id`,
      );
      expect(back).toHaveLength(values.length);
      for (const [i, r] of input.entries()) {
        const got = back[i]!;
        expect(got.t, `t ${i}`).toBe(r.t);
        expect(got.b, `b ${i}`).toBe(String(r.b));
        expect(got.ok).toBe(r.ok);
        expect(got.ms, `at ${r.at.toISOString()}`).toBe(r.at.getTime());
        expect(got.doc).toEqual(r.doc instanceof JsonText ? { k: 'café', n: i } : r.doc);
        // Lexemes come back in PostgreSQL's order.
        expect(got.v).toBe(`'alpha' 'w${i}' 'zeta'`);
      }
      expect(Object.values(back.at(-1)!).filter((v) => v !== null)).toEqual([1000]);
    });
  }

  it('a value the column cannot hold fails the load naming the column, and nothing is written', async () => {
    const base: unknown[] = [5000, 't', 1, 1.5, true, new Date(), {}, [], []];
    const cases: [number, unknown, RegExp][] = [
      [0, 2 ** 31, /binary_types\.id: out of range/],
      [2, 1.5, /binary_types\.b: not an integer/],
      [4, 'yes', /binary_types\.ok: not a boolean/],
      [5, 'not a date', /binary_types\.at: not a timestamp/],
    ];
    const before = (await pg.store.database.query<{ n: number }>('SELECT count(*)::int AS n FROM binary_types')).rows[0]!.n;
    for (const [column, value, message] of cases) {
      const row = base.slice();
      row[column] = value;
      const error = await pg.store.bulk.load('binary_types', ['id', 't', 'b', 'f', 'ok', 'at', 'doc', 'plain', 'v'], [[[5001, 'fine', 2, 2, false, new Date(), {}, [], []], row]]).catch((e: unknown) => e);
      expect(error, String(value)).toMatchObject({ code: 'TC_VALIDATION', message: expect.stringMatching(message) });
    }
    expect((await pg.store.database.query<{ n: number }>('SELECT count(*)::int AS n FROM binary_types')).rows[0]!.n).toBe(before);
  });
});
