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

/**
 * The most bytes one document's search index may take: PostgreSQL's limit for a tsvector
 * (MAXSTRPOS, 1 MB - 1), past which it refuses the row (`54000 string is too long for
 * tsvector`). SQLite's FTS5 has no such limit, so the rule is the domain's, for both.
 */
export const MAX_SEARCH_INDEX_BYTES = 1_048_575;

/** Words longer than this many UTF-8 bytes are not indexed (PostgreSQL skips them). */
export const MAX_INDEXED_WORD_BYTES = 2047;

/**
 * An upper bound of the bytes PostgreSQL's to_tsvector needs for a document made of
 * `texts`, by its own accounting (make_tsvector): per distinct word, its UTF-8 bytes
 * rounded up to even, a 2-byte position count and 2 bytes per occurrence, at most 255
 * (PostgreSQL keeps no more; it may keep fewer past position 16383, hence "bound").
 * Occurrences count even though the stored vector drops them (strip): the limit applies
 * before. Words longer than MAX_INDEXED_WORD_BYTES are skipped, as PostgreSQL does.
 */
export function searchIndexBytes(texts: readonly (string | null | undefined)[]): number {
  const counts = new Map<string, number>();
  for (const text of texts) {
    if (!text) continue;
    for (const word of text.toLowerCase().match(/[\p{L}\p{Nd}]+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  let bytes = 0;
  for (const [word, count] of counts) {
    const length = utf8Length(word);
    if (length > MAX_INDEXED_WORD_BYTES) continue;
    bytes += length + (length & 1) + 2 + 2 * Math.min(count, 255);
  }
  return bytes;
}

function utf8Length(word: string): number {
  let n = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    }
    else n += 3;
  }
  return n;
}

/**
 * Why a document made of `texts` cannot be indexed for search on every engine, or null.
 * Bulk writers (copy) apply it per row, as the repositories do per write.
 */
export function searchIndexProblem(texts: readonly (string | null | undefined)[]): string | null {
  const bytes = searchIndexBytes(texts);
  return bytes > MAX_SEARCH_INDEX_BYTES
    ? `too many distinct words to index for search (${bytes} bytes of index, at most ${MAX_SEARCH_INDEX_BYTES})`
    : null;
}
