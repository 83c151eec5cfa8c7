import type { SearchTerm } from '../../domain/search.js';

/**
 * An FTS5 MATCH expression requiring every term: each word becomes a double-quoted
 * string (quotes doubled), which FTS5 reads as a plain token, never as an operator
 * (AND/OR/NOT/NEAR), column filter (`:`) or group; a prefix term gets FTS5's `*` after
 * the string (`"migrat"*`); juxtaposed strings are an implicit AND. See
 * https://www.sqlite.org/fts5.html#full_text_query_syntax. `terms` come from
 * domain/search.ts `searchTerms` and must not be empty.
 */
export function ftsMatch(terms: readonly SearchTerm[]): string {
  return terms.map((t) => `"${t.word.replace(/"/g, '""')}"${t.prefix ? '*' : ''}`).join(' ');
}
