import { describe, expect, it } from 'vitest';
import { MAX_SEARCH_INDEX_BYTES, rowSearchProblem, searchIndexBytes, searchIndexProblem } from '../../../src/domain/search.js';
import { JsonText } from '../../../src/ports/bulk-loader.js';
import { denseLockText, packageLockText } from '../../support/hostile-values.js';
import { migratedPgStoreForFile } from '../../support/databases.js';

/** Distinct words of 62 letters and digits (66 bytes of index each: 62 + count + one position). */
const word = (i: number) => `w${i.toString(36).padStart(10, '0')}${'x'.repeat(51)}`;
const words = (n: number, repeat = 1, suffix = '') => Array.from({ length: n * repeat }, (_, i) => word(i % n) + suffix).join(' ');

describe("PostgreSQL search vectors: the domain's size bound is PostgreSQL's own", () => {
  const pg = migratedPgStoreForFile('tc_search_limit');

  /** What to_tsvector says about `text` as the trigger feeds it: 'ok', or the size it refused. */
  async function tsvector(text: string): Promise<'ok' | number> {
    try {
      await pg.store.database.query("SELECT strip(to_tsvector('simple', regexp_replace(lower($1), '[^[:alnum:]]+', ' ', 'g'))) AS v", [text]);
      return 'ok';
    } catch (error) {
      const m = /string is too long for tsvector \((\d+) bytes, max (\d+) bytes\)/.exec((error as Error).message);
      if (!m) throw error;
      expect(Number(m[2])).toBe(MAX_SEARCH_INDEX_BYTES);
      return Number(m[1]);
    }
  }

  it('15887 distinct words, just under the limit, are accepted by both', async () => {
    expect(searchIndexBytes([words(15887)])).toBe(1_048_542);
    expect(searchIndexProblem([words(15887)])).toBeNull();
    expect(await tsvector(words(15887))).toBe('ok');
  });

  it.each([
    ['15888 distinct words, 33 bytes over', words(15888)],
    ['words repeated 3 times, multibyte, odd length', words(5000, 3, 'é'.repeat(80))],
    ['a word repeated more than 255 times', `${words(15880)} ${'same '.repeat(2000)}`],
    ['past position 16383: positions there count once', `${'early '.repeat(100)}${words(15500, 2)} ${'late '.repeat(300)}`],
    ['numbers in scientific notation split a word', `${words(15000)} ${Array.from({ length: 2000 }, (_, i) => `${i}e${i}q${i} 7e${i}`).join(' ')}`],
    ['words too long to index take no position', `${'y'.repeat(2048)} ${'é'.repeat(1024)} ${'é'.repeat(1023)} ${words(16400)} ${'z'.repeat(3000)} ${words(200, 300)}`],
  ])('%s: refused by to_tsvector with the byte count the domain computes', async (_name, text) => {
    const bytes = searchIndexBytes([text]);
    const verdict = await tsvector(text);
    // Every case is built to pass the limit, so PostgreSQL reports its own count.
    expect(verdict).not.toBe('ok');
    expect(bytes).toBe(verdict);
    expect(searchIndexProblem([text]) === null).toBe(verdict === 'ok');
  });

  it('the hostile transcripts: package-lock text fits, its hex hashes do not (the premise of the table-driven test)', async () => {
    expect(await tsvector(packageLockText())).toBe('ok');
    const dense = await tsvector(denseLockText());
    expect(dense).toBeGreaterThan(MAX_SEARCH_INDEX_BYTES);
    expect(searchIndexBytes([denseLockText()])).toBe(dense);
  });

  it('an upsert refused by the rule leaves the stored mirror as it was, and the upsert that fits works', async () => {
    const r = pg.store.repositories.mirrors;
    await r.upsert({ sourceIdentity: 'm', agent: 'a', conversationText: 'first version' });
    await expect(r.upsert({ sourceIdentity: 'm', agent: 'a', conversationText: denseLockText() })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'conversationText' });
    expect((await r.get('m'))!.conversationText).toBe('first version');
    await r.upsert({ sourceIdentity: 'm', agent: 'a', conversationText: words(15887) });
    expect((await r.search(word(15886))).map((m) => m.sourceIdentity)).toEqual(['m']);
  });
});

describe('rowSearchProblem: the same rule for bulk writers, by table and column', () => {
  it('names the column a repository names, and reads facts given parsed, as JSON text or as JsonText', () => {
    const dense = denseLockText();
    expect(rowSearchProblem('mirrors', (c) => ({ title: 't', conversation_text: dense })[c])).toMatchObject({ column: 'conversation_text' });
    expect(rowSearchProblem('mirrors', (c) => ({ title: 't', conversation_text: 'short' })[c])).toBeNull();
    const half = dense.slice(0, dense.length / 2);
    const facts = [half, dense.slice(dense.length / 2)];
    for (const given of [facts, JSON.stringify(facts), new JsonText(JSON.stringify(facts))]) {
      expect(rowSearchProblem('memory_observations', (c) => ({ title: 't', facts: given, concepts: [] })[c as 'title'])).toMatchObject({ column: 'narrative' });
    }
    expect(rowSearchProblem('memory_observations', (c) => ({ title: 't', facts: [half], concepts: '[]' })[c as 'title'])).toBeNull();
    expect(rowSearchProblem('sessions', () => dense)).toBeNull();
  });
});
