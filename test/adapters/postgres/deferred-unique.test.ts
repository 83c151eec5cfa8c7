import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { migratedPgStoreForFile } from '../../support/databases.js';

/**
 * Into an empty table the bulk loader builds the primary key, unique constraints and
 * unique indexes after the rows are in (one sorted build): a duplicate must still fail the
 * load (or, with onRefused, be refused alone), and every constraint and index must be
 * there afterwards, as the schema declares them.
 */
describe('PostgreSQL bulk load: unique keys built after the rows', () => {
  const pg = migratedPgStoreForFile('tc_deferred_unique');
  const q = <T extends Record<string, unknown>>(sql: string) => pg.store.database.query<T>(sql);
  const shape = async () =>
    (
      await q<{ d: string }>(
        `SELECT coalesce(c.conname || ' ' || pg_get_constraintdef(c.oid), pg_get_indexdef(x.indexrelid)) AS d
         FROM pg_index x LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
         WHERE x.indrelid = 'dedup'::regclass ORDER BY 1`,
      )
    ).rows.map((r) => r.d);
  let before: string[];
  beforeAll(async () => {
    await q(`CREATE TABLE dedup (id integer PRIMARY KEY, code text NOT NULL UNIQUE, origin text, ref text, note text)`);
    await q(`CREATE UNIQUE INDEX dedup_origin_ref ON dedup (origin, ref) WHERE ref IS NOT NULL`);
    await q(`CREATE INDEX dedup_note ON dedup (note)`);
    before = await shape();
  });
  const columns = ['id', 'code', 'origin', 'ref', 'note'];
  const row = (i: number, over: Partial<Record<'id' | 'code' | 'ref', unknown>> = {}) => [over.id ?? i, over.code ?? `c${i}`, 'o', over.ref ?? `r${i}`, `n${i}`];

  for (const [what, dup] of [
    ['primary key', row(7, { code: 'x', ref: 'x' })],
    ['unique constraint', row(9000, { code: 'c7', ref: 'x' })],
    ['unique partial index', row(9001, { code: 'x', ref: 'r7' })],
  ] as const) {
    it(`a duplicate of the ${what} fails the load, leaving the table empty and its keys as declared`, async () => {
      const rows = Array.from({ length: 2000 }, (_, i) => row(i));
      const error = await pg.store.bulk.load('dedup', columns, [rows.slice(0, 1000), [...rows.slice(1000), dup]], { replace: true }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TC_CONFLICT' });
      expect((await q<{ n: number }>('SELECT count(*)::int AS n FROM dedup')).rows[0]!.n).toBe(0);
      expect(await shape()).toEqual(before);
    });

    it(`with onRefused, a duplicate of the ${what} is refused alone and every other row written`, async () => {
      const rows = Array.from({ length: 6000 }, (_, i) => row(i));
      const refused: unknown[][] = [];
      const written = await pg.store.bulk.load('dedup', columns, [rows.slice(0, 3000), [dup, ...rows.slice(3000)]], {
        replace: true,
        onRefused: (r) => refused.push(r),
      });
      expect(written).toBe(6000);
      expect(refused).toEqual([dup]);
      expect(await shape()).toEqual(before);
      await q('DELETE FROM dedup');
    });
  }

  it('rows without duplicates load with every key in place and enforced', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(i));
    expect(await pg.store.bulk.load('dedup', columns, [rows], { replace: true })).toBe(3000);
    expect(await shape()).toEqual(before);
    await expect(q(`INSERT INTO dedup (id, code) VALUES (1, 'new')`)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
    await expect(q(`INSERT INTO dedup (id, code) VALUES (5000, 'c1')`)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
    await expect(q(`INSERT INTO dedup (id, code, origin, ref) VALUES (5001, 'new', 'o', 'r1')`)).rejects.toMatchObject({ code: 'TC_CONFLICT' });
  });

  it('indexes of a table under PARALLEL_BUILD_ROWS are built without parallel workers, a setting that ends with the load', async () => {
    // The server's own word, not only the statements this package sent: with DEBUG1 notices
    // on, PostgreSQL says of every index it builds "serially" or "with request for N parallel
    // workers" (index_build); with no minimum table size it would ask for workers even here.
    const database = decodeURIComponent(new URL(pg.store.options.url!).pathname.slice(1));
    await q(`ALTER DATABASE "${database}" SET client_min_messages = debug1`);
    await q(`ALTER DATABASE "${database}" SET min_parallel_table_scan_size = 0`);
    const sql: string[] = [];
    const notices: string[] = [];
    const store = new PostgresStore(pg.store.options, 'x', undefined, { onQuery: (e) => sql.push(e.sql) });
    store.database.pool.on('connect', (client) => client.on('notice', (notice) => notices.push(notice.message ?? '')));
    try {
      const rows = Array.from({ length: 500 }, (_, i) => row(i));
      expect(await store.bulk.load('dedup', columns, [rows], { replace: true })).toBe(500);
      const off = sql.indexOf('SET LOCAL max_parallel_maintenance_workers = 0');
      const builds = sql.flatMap((s, i) => (/^(CREATE (UNIQUE )?INDEX|ALTER TABLE .* ADD CONSTRAINT)/.test(s) ? [i] : []));
      expect(off, sql.join('\n')).toBeGreaterThan(-1);
      expect(builds.length).toBeGreaterThan(0);
      expect(builds.every((i) => i > off)).toBe(true);
      const built = notices.filter((m) => /^building index "[^"]+" on table "dedup"/.test(m));
      expect(built, notices.join('\n')).toHaveLength(before.length);
      expect(built.every((m) => m.endsWith(' serially')), built.join('\n')).toBe(true);
      expect(await shape()).toEqual(before);
      // SET LOCAL: the pool's connections keep the server's setting.
      const { rows: setting } = await store.database.query<{ v: string }>(`SELECT current_setting('max_parallel_maintenance_workers') AS v`);
      const { rows: server } = await store.database.query<{ v: string }>(`SELECT reset_val AS v FROM pg_settings WHERE name = 'max_parallel_maintenance_workers'`);
      expect(setting[0]!.v).toBe(server[0]!.v);
    } finally {
      await store.close();
      await q(`ALTER DATABASE "${database}" RESET client_min_messages`);
      await q(`ALTER DATABASE "${database}" RESET min_parallel_table_scan_size`);
    }
  });
});
