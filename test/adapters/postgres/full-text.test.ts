import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { pgAdminUrl, withDatabase } from '../../support/databases.js';

/** A database whose ctype is C, where lower() and [[:alnum:]] know only ASCII unless told otherwise. */
const name = `tc_fts_c_${process.pid}`;
let store: PostgresStore;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  const url = withDatabase(pgAdminUrl(), name);
  store = new PostgresStore({ url }, url);
  await store.migrator.up();
});

afterAll(async () => {
  await store?.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('PostgreSQL search vectors', () => {
  it('fold Unicode case even in a C-ctype database (through the ICU collation when the server has it)', async () => {
    const { rows } = await store.database.query<{ icu: boolean }>("SELECT count(*) > 0 AS icu FROM pg_collation WHERE collname = 'und-x-icu'");
    await store.repositories.mirrors.upsert({ sourceIdentity: 's', agent: 'a', conversationText: 'ÄRGER in МОСКВА, ΩMEGA' });
    const found = await store.repositories.mirrors.search('ärger москва ωmega');
    expect(found).toHaveLength(rows[0]!.icu ? 1 : 0);
  });

  it('hold plain words: e-mail addresses, URLs, paths and hyphenated words are split', async () => {
    await store.repositories.mirrors.upsert({
      sourceIdentity: 't',
      agent: 'a',
      title: 'ann@example.com',
      conversationText: 'see https://x.com/a?b=c or /usr/bin/env, v1.2.3 and e-mail',
    });
    const { rows } = await store.database.query<{ v: string }>("SELECT search_vector::text AS v FROM mirrors WHERE source_identity = 't'");
    expect(rows[0]!.v).toBe("'2' '3' 'a' 'and' 'ann' 'b' 'bin' 'c' 'com' 'e' 'env' 'example' 'https' 'mail' 'or' 'see' 'usr' 'v1' 'x'");
  });
});
