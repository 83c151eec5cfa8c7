import { z } from 'zod';

/**
 * Full-text search semantics, shared by every engine:
 * - a text is split into words: maximal runs of Unicode letters (L*) and decimal digits (Nd);
 *   everything else (punctuation, symbols, spaces, marks, emoji) separates words;
 * - words compare case-insensitively (Unicode lowercase) and whole (no stemming, no
 *   diacritics folding: `cafe` does not find `café`);
 * - one exception, because it is what users type: a query word IMMEDIATELY followed by `*`
 *   (`migrat*`) is a prefix: it matches every document word that starts with it;
 * - a document matches when it contains EVERY term of the query (AND);
 * - the query is never otherwise interpreted as a query language: quotes, AND/OR/NOT, `-`,
 *   `:`, parentheses and a `*` not directly after a word (`* x`, `***`) are ordinary text
 *   (`AND` is the word "and"); a query without any word matches nothing.
 */
export function searchWords(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{Nd}]+/gu) ?? [])];
}

/** One term of a search query: a whole word, or (`prefix`) the start of a word. */
export interface SearchTerm {
  word: string;
  prefix: boolean;
}

/** The distinct terms of a query, by the rules of `searchWords` plus the trailing-`*` prefix. */
export function searchTerms(query: string): SearchTerm[] {
  const seen = new Map<string, SearchTerm>();
  for (const [, word, star] of query.toLowerCase().matchAll(/([\p{L}\p{Nd}]+)(\*?)/gu)) {
    const term = { word: word!, prefix: star === '*' };
    seen.set(`${term.prefix ? '*' : ' '}${term.word}`, term);
  }
  return [...seen.values()];
}

/** A user's search text. */
export const SearchQuery = z.string({ error: 'must be a string' }).max(10_000, 'must be at most 10000 characters');

/** How many results a search returns at most (default 20). */
export const SearchLimit = z.number().int('must be an integer').positive('must be positive').max(1000, 'must be at most 1000');
