/**
 * A tsquery text requiring every word: each word becomes a quoted lexeme (quotes and
 * backslashes escaped) joined by `&`, so no user text is ever read as an operator
 * (`|`, `!`, `<->`, `:*`, parentheses). Parsed with `to_tsquery('simple', ...)`, the same
 * configuration as the search vectors. `words` come from domain/search.ts `searchWords`
 * and must not be empty.
 */
export function tsQuery(words: readonly string[]): string {
  return words.map((w) => `'${w.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(' & ');
}
