import { MAX_INDEXED_WORD_BYTES, searchWords, type SearchTerm } from '../../domain/search.js';
import { JsonText } from '../../ports/bulk-loader.js';

/*
 * Full-text search on MariaDB (migration 003): each searchable row carries `search_words`,
 * the JSON array of its distinct words by the rules of domain/search.ts, computed here;
 * triggers copy them into the table's word table (`<table>_words`), one row per word,
 * which a search probes once per query term. Every writer of a searchable table supplies
 * `search_words`: the repositories per row, bulk writers (copy, seed) through
 * SEARCH_WORDS.
 */

/** The distinct words of `parts` (nulls skipped) that are indexed: at most MAX_INDEXED_WORD_BYTES bytes, as PostgreSQL keeps them. */
function words(parts: readonly unknown[]): string[] {
  const text = parts.filter((p) => p !== null && p !== undefined).join(' ');
  return searchWords(text).filter((word) => word.length * 3 <= MAX_INDEXED_WORD_BYTES || Buffer.byteLength(word) <= MAX_INDEXED_WORD_BYTES);
}

/** `facts`/`concepts` as JSON text with its escapes (`\n`, `\"`, `\u0001`) turned into separators, as PostgreSQL's vector reads them. */
function jsonText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof JsonText ? value.text : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/gs, ' ');
}

/** The `search_words` value of a memory observation. */
export function observationSearchWords(o: { title: unknown; subtitle?: unknown; narrative?: unknown; facts?: unknown; concepts?: unknown }): string {
  return JSON.stringify(words([o.title, o.subtitle, o.narrative, jsonText(o.facts), jsonText(o.concepts)]));
}

/** The `search_words` value of a mirror. */
export function mirrorSearchWords(m: { title?: unknown; conversationText?: unknown }): string {
  return JSON.stringify(words([m.title, m.conversationText]));
}

/**
 * Per table with a search index: its `search_words` value from the row's column values
 * (`column(name)` gives a snake_case column's value; JSON columns as parsed values, JSON
 * text strings or JsonText).
 */
export const SEARCH_WORDS: Readonly<Record<string, (column: (name: string) => unknown) => string>> = {
  memory_observations: (c) =>
    observationSearchWords({ title: c('title'), subtitle: c('subtitle'), narrative: c('narrative'), facts: c('facts'), concepts: c('concepts') }),
  mirrors: (c) => mirrorSearchWords({ title: c('title'), conversationText: c('conversation_text') }),
};

/**
 * The WHERE condition requiring every term, over rows aliased `alias` whose word table is
 * `wordTable` keyed by `key`, and its parameters: the rows whose words include, for every
 * term, one equal to it (a whole word) or starting with it (a prefix: LIKE 'word%'; words
 * hold only letters and digits, so nothing in one is a wildcard). One grouped read of the
 * word rows matching any term, each term then required by its own HAVING condition: a
 * query of many terms costs one index range per term, where one EXISTS per term would make
 * a join of as many tables that the optimizer takes seconds to plan past about sixty.
 * `terms` come from domain/search.ts `searchTerms` and must not be empty.
 */
export function wordCondition(terms: readonly SearchTerm[], wordTable: string, key: string, alias: string): { sql: string; params: string[] } {
  const test = (t: SearchTerm) => `w.word ${t.prefix ? 'LIKE' : '='} ?`;
  const values = terms.map((t) => (t.prefix ? `${t.word}%` : t.word));
  const sql = `${alias}.id IN (SELECT w.${key} FROM ${wordTable} w WHERE ${terms.map(test).join(' OR ')}
    GROUP BY w.${key} HAVING ${terms.map((t) => `MAX(${test(t)}) = 1`).join(' AND ')})`;
  return { sql, params: [...values, ...values] };
}
