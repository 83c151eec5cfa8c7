import { searchWords, type SearchTerm } from '../../domain/search.js';
import { JsonText } from '../../ports/bulk-loader.js';
/**
 * A tsquery literal requiring every term: each word becomes a quoted lexeme (quotes and
 * backslashes escaped), a prefix term gets `:*`, joined by `&`, so no user text is ever
 * read as an operator (`|`, `!`, `<->`, parentheses). It is cast with `::tsquery`, not
 * parsed by `to_tsquery`: the search vectors hold the words of domain/search.ts as they
 * are (migration 005), and PostgreSQL's parser would split some of them (`1e5x` into
 * `1e5` and `x`), which a prefix would then miss. `terms` come from domain/search.ts
 * `searchTerms` and must not be empty.
 */
export function tsQuery(terms: readonly SearchTerm[]): string {
  return terms.map((t) => `'${t.word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'${t.prefix ? ':*' : ''}`).join(' & ');
}

/** PostgreSQL refuses a tsvector lexeme longer than this many bytes (to_tsvector skips them). */
const MAX_LEXEME_BYTES = 2047;

/**
 * A row's search vector as its distinct lexemes, computed by the rules of the trigger in
 * migration 003 (lowercase, words of letters and digits, JSON escapes as separators):
 * bulk writers send it with the row so PostgreSQL does not run the trigger's regular
 * expressions for every row.
 */
function lexemes(parts: readonly unknown[]): string[] {
  const text = parts.filter((p) => p !== null && p !== undefined).join(' ');
  return [...new Set(searchWords(text))].filter((word) => word.length * 3 <= MAX_LEXEME_BYTES || Buffer.byteLength(word) <= MAX_LEXEME_BYTES);
}

/** Lexemes in tsvector input form: `'word' 'word' ...` (words hold no quotes or backslashes). */
export function tsVectorText(words: readonly string[]): string {
  return words.map((w) => `'${w}'`).join(' ');
}

/** `facts::text` with its escapes (`\n`, `\"`, `\u00e9`) turned into separators, as the trigger does. */
function jsonText(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Text as JSON.stringify writes it, which is what jsonb prints: \uXXXX escapes only for control characters.
  const text = value instanceof JsonText ? (value.text.includes('\\u') ? JSON.stringify(JSON.parse(value.text)) : value.text) : JSON.stringify(value);
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/gs, ' ');
}

/** Per table with a search vector: its lexemes from the row's column values. */
export const SEARCH_VECTORS: Readonly<Record<string, (column: (name: string) => unknown) => string[]>> = {
  memory_observations: (c) => lexemes([c('title'), c('subtitle'), c('narrative'), jsonText(c('facts')), jsonText(c('concepts'))]),
  mirrors: (c) => lexemes([c('title'), c('conversation_text')]),
};
