/**
 * An FTS5 MATCH expression requiring every word: each word becomes a double-quoted
 * string (quotes doubled), which FTS5 reads as a plain token, never as an operator
 * (AND/OR/NOT/NEAR), column filter (`:`), prefix (`*`) or group; juxtaposed strings are
 * an implicit AND. See https://www.sqlite.org/fts5.html#full_text_query_syntax.
 * `words` come from domain/search.ts `searchWords` and must not be empty.
 */
export function ftsMatch(words: readonly string[]): string {
  return words.map((w) => `"${w.replace(/"/g, '""')}"`).join(' ');
}
