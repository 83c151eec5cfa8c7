import { describe, expect, it } from 'vitest';
import type { MemoryObservation } from '../../src/domain/memory.js';
import { OBSERVATION_TYPES } from '../../src/domain/memory.js';
import type { Mirror } from '../../src/domain/mirror.js';
import type { Store } from '../../src/ports/store.js';
import { ManualClock } from '../support/manual-clock.js';
import { oracleSearch, seeded } from '../support/search-oracle.js';
import type { ContractContext } from './engines.js';

/** Words the corpus is made of: plain ones, query-language look-alikes, punctuation-laden and Unicode. */
const VOCABULARY = [
  'sqlite', 'postgres', 'WAL', 'checkpoint', 'migration', 'lock', 'token', 'queue', 'deploy', 'daemon', 'tmux', 'voice',
  'migrations', 'migrate', 'locked', 'lockfile', 'tokens', '1e5x', '2e2e', 'ab12cd', 'x1e5', 'Преобразование', 'Прага',
  'Telegram', 'discord', 'MiXeD', 'AND', 'OR', 'NOT', 'NEAR', "don't", '"quoted"', '(paren)', 'key:value', 'pre*', '-minus',
  'v1.2.3', 'abc123', '3.14', 'x&y', 'a|b', '!bang', '<->', 'foo_bar', 'e-mail', 'ann@example.com', 'https://x.com/a?b=c',
  '/usr/bin/env', 'café', 'Ärger', 'straße', 'naïve', 'Москва', '東京', 'Ωmega', 'ümlaut', 'emoji😀here', "it's", 'C++',
  'tab\there', 'line\nbreak', 'back\\nslash', 'say "hi"', '\\', "'", '%', '_',
];

const QUERIES = [
  'sqlite', 'SQLITE', 'sqlite wal', 'wal   SQLite', '"sqlite"', 'sqlite AND postgres', 'sqlite OR postgres', 'NOT sqlite', 'and',
  'or not', 'near', 'NEAR(sqlite postgres)', '-minus', 'minus', 'pre*', 'sqlite*', 'pre', 'key:value', 'title:sqlite', 'value',
  '(paren)', '((', ')', '"', "'", '!!!', '***', '', '   ', ':', '-', '&|!<->', 'café', 'CAFÉ', 'cafe', 'Москва', 'москва',
  '東京', 'ωmega', 'ΩMEGA', 'ärger', 'straße', 'naïve', 'ann@example.com', 'example com', 'https://x.com', 'usr bin env',
  'foo_bar', 'bar', "don't", 'don', 'v1.2.3', '3.14', 'abc123', 'abc', 'x&y', 'a|b', 'bang', 'line break', 'nbreak', 'nslash',
  'back', 'tab here', 'there', 'say hi', 'emoji😀here', '😀', 'it s', 'c', "'; DROP TABLE mirrors; --", 'sqlite" OR "1',
  "sqlite' | 'postgres", '\\', 'e-mail', 'mail', 'quoted', 'mixed', 'telegram discord', 'nothingmatchesthis',
  // Prefixes: a word directly followed by `*`.
  'migrat*', 'MIGRAT*', 'migration*', 'lock*', 'lock* token*', 'tok* sqlite', 'sqlite* postgres*', 'pre* paren*', 'c*', 'caf*',
  'CAFÉ*', 'stra*', 'москв*', 'пр*', 'пра*', '東*', 'ωm*', 'ab*', 'ab1*', '1e*', '1e5*', '1e5x*', 'x*', 'x1*', '2e2*', '3*', 'v1*',
  'e*', 'em*', 'emoji*', 'nothing*', 'zzz*', '*lock', 'lock *', 'lock**', '* *', '"lock"*', 'lock*"', 'lo*ck', 'don*', 'it*',
  'lock* lock', 'lock lock*', 'locked* lock*', "sqlite*' | 'x", 'a*:*', 'key*:value*',
];

async function seedObservations(store: Store, clock: ManualClock): Promise<MemoryObservation[]> {
  const rnd = seeded(4);
  const phrase = (min: number, max: number) => rnd.some(VOCABULARY, min, max).join(' ');
  const saved: MemoryObservation[] = [];
  for (let i = 0; i < 220; i++) {
    if (i % 3 === 0) clock.advance(1000);
    saved.push(
      await store.repositories.memory.save({
        memorySessionId: `ms${i % 7}`,
        project: rnd.pick(['teleclaude', 'website']),
        type: rnd.pick(OBSERVATION_TYPES),
        title: phrase(1, 4),
        subtitle: rnd.int(3) === 0 ? null : phrase(1, 3),
        narrative: rnd.int(4) === 0 ? null : phrase(3, 12),
        facts: Array.from({ length: rnd.int(4) }, () => phrase(1, 4)),
        concepts: rnd.some(VOCABULARY, 0, 3),
        filesRead: 'sqlite postgres are not searched here',
        identityKey: rnd.pick(['alpha', 'beta', null]),
      }),
    );
  }
  return saved;
}

async function seedMirrors(store: Store, clock: ManualClock): Promise<Mirror[]> {
  const rnd = seeded(7);
  const saved: Mirror[] = [];
  for (let i = 0; i < 60; i++) {
    if (i % 2 === 0) clock.advance(1000);
    const lines = Array.from({ length: 2 + rnd.int(6) }, () => rnd.some(VOCABULARY, 3, 10).join(' '));
    saved.push(
      await store.repositories.mirrors.upsert({
        sourceIdentity: `src-${i}`,
        agent: rnd.pick(['claude', 'gemini', 'codex']),
        project: rnd.pick(['teleclaude', 'website', null]),
        title: rnd.int(5) === 0 ? null : rnd.some(VOCABULARY, 1, 4).join(' '),
        conversationText: lines.join('\n'),
        computer: 'sqlite postgres are not searched here',
      }),
    );
  }
  return saved;
}

const observationTexts = (o: MemoryObservation) => [o.title, o.subtitle, o.narrative, ...o.facts, ...o.concepts];
const mirrorTexts = (m: Mirror) => [m.title, m.conversationText];

export function fullTextContract({ fresh }: ContractContext): void {
  describe('Full-text search', () => {
    it('memory.search returns exactly what the stated semantics select, for every query', async () => {
      const clock = new ManualClock();
      const store = await fresh({ clock });
      const corpus = await seedObservations(store, clock);
      let nonEmpty = 0;
      let prefixHits = 0;
      for (const query of QUERIES) {
        const expected = oracleSearch(corpus, observationTexts, query);
        if (expected.length > 0) nonEmpty++;
        // A prefix query that finds more than the whole word does: the prefix really widened it.
        if (/[\p{L}\p{Nd}]\*/u.test(query) && expected.length > oracleSearch(corpus, observationTexts, query.replace(/\*/g, ' ')).length) prefixHits++;
        const got = await store.repositories.memory.search(query, { limit: 1000 });
        expect({ query, ids: got.map((o) => o.id) }).toEqual({ query, ids: expected });
      }
      expect(nonEmpty).toBeGreaterThanOrEqual(40);
      expect(prefixHits).toBeGreaterThanOrEqual(15);
    });

    it('memory.search applies project, type and identityKey filters and the limit; identityKey also keeps the unscoped', async () => {
      const clock = new ManualClock();
      const store = await fresh({ clock });
      const corpus = await seedObservations(store, clock);
      const holds = (o: MemoryObservation, [k, v]: [string, unknown]) =>
        k === 'identityKey' ? o.identityKey === null || o.identityKey === v : o[k as keyof MemoryObservation] === v;
      for (const query of ['sqlite', 'postgres wal', 'café', 'and', 'migrat*']) {
        for (const filter of [{ project: 'website' }, { type: 'gotcha' as const }, { identityKey: 'alpha' }, { project: 'teleclaude', identityKey: 'beta' }]) {
          const subset = corpus.filter((o) => Object.entries(filter).every((entry) => holds(o, entry)));
          const got = await store.repositories.memory.search(query, { ...filter, limit: 1000 });
          expect({ query, filter, ids: got.map((o) => o.id) }).toEqual({ query, filter, ids: oracleSearch(subset, observationTexts, query) });
        }
        const limited = await store.repositories.memory.search(query, { limit: 3 });
        expect(limited.map((o) => o.id)).toEqual(oracleSearch(corpus, observationTexts, query, 3));
        const byDefault = await store.repositories.memory.search(query);
        expect(byDefault.map((o) => o.id)).toEqual(oracleSearch(corpus, observationTexts, query, 20));
      }
    });

    it('mirrors.search returns exactly what the stated semantics select, with agent and project filters', async () => {
      const clock = new ManualClock();
      const store = await fresh({ clock });
      const corpus = await seedMirrors(store, clock);
      let nonEmpty = 0;
      for (const query of QUERIES) {
        const expected = oracleSearch(corpus, mirrorTexts, query);
        if (expected.length > 0) nonEmpty++;
        const got = await store.repositories.mirrors.search(query, { limit: 1000 });
        expect({ query, ids: got.map((m) => m.id) }).toEqual({ query, ids: expected });
      }
      expect(nonEmpty).toBeGreaterThanOrEqual(40);
      for (const query of ['sqlite', 'москва', 'wal token']) {
        const subset = corpus.filter((m) => m.agent === 'claude' && m.project === 'teleclaude');
        const got = await store.repositories.mirrors.search(query, { agent: 'claude', project: 'teleclaude', limit: 1000 });
        expect(got.map((m) => m.id)).toEqual(oracleSearch(subset, mirrorTexts, query));
        expect((await store.repositories.mirrors.search(query, { limit: 2 })).map((m) => m.id)).toEqual(oracleSearch(corpus, mirrorTexts, query, 2));
        // Several agents: a mirror of any of them (the daemon's `search_mirrors(query, agents)`).
        const either = corpus.filter((m) => m.agent === 'claude' || m.agent === 'codex');
        const gotEither = await store.repositories.mirrors.search(query, { agent: ['claude', 'codex'], limit: 1000 });
        expect(gotEither.map((m) => m.id)).toEqual(oracleSearch(either, mirrorTexts, query));
        expect(gotEither.length).toBeLessThan(oracleSearch(corpus, mirrorTexts, query).length);
      }
      await expect(store.repositories.mirrors.search('x', { agent: [] })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options.agent' });
      await expect(store.repositories.mirrors.search('x', { agent: ['claude', ''] })).rejects.toMatchObject({ code: 'TC_VALIDATION', field: 'options.agent.1' });
    });

    it('the index follows updates and deletes', async () => {
      const { repositories: r } = await fresh();
      const o = await r.memory.save({ memorySessionId: 'm', project: 'p', type: 'gotcha', title: 'flamingo', facts: ['pelican'] });
      expect((await r.memory.search('flamingo pelican')).map((x) => x.id)).toEqual([o.id]);
      await r.memory.delete(o.id);
      expect(await r.memory.search('flamingo')).toEqual([]);
      await r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', title: 'walrus', conversationText: 'narwhal' });
      expect(await r.mirrors.search('walrus narwhal')).toHaveLength(1);
      await r.mirrors.upsert({ sourceIdentity: 's', agent: 'claude', title: 'otter', conversationText: 'beaver' });
      expect(await r.mirrors.search('walrus')).toEqual([]);
      expect(await r.mirrors.search('narwhal')).toEqual([]);
      expect(await r.mirrors.search('OTTER beaver')).toHaveLength(1);
    });
  });
}
