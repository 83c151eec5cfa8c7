import { z } from 'zod';

/**
 * Full-text search semantics, shared by every engine:
 * - a text is split into words: maximal runs of Unicode letters (L*) and decimal digits (Nd);
 *   everything else (punctuation, symbols, spaces, marks, emoji) separates words;
 * - words compare case-insensitively (Unicode lowercase) and whole (no prefix matching,
 *   no stemming, no diacritics folding: `cafe` does not find `café`);
 * - a document matches when it contains EVERY word of the query (AND);
 * - the query is never interpreted as a query language: quotes, AND/OR/NOT, `-`, `*`, `:`
 *   and parentheses are ordinary text (`AND` is the word "and"); a query without any word
 *   matches nothing.
 */
export function searchWords(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{Nd}]+/gu) ?? [])];
}

/** A user's search text. */
export const SearchQuery = z.string({ error: 'must be a string' }).max(10_000, 'must be at most 10000 characters');

/** How many results a search returns at most (default 20). */
export const SearchLimit = z.number().int('must be an integer').positive('must be positive').max(1000, 'must be at most 1000');
