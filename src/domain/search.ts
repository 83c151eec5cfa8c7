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

/** PostgreSQL keeps at most this many positions per word (MAXNUMPOS - 1)... */
const MAX_POSITIONS = 255;
/** ...and counts positions past this one as this one (MAXENTRYPOS - 1). */
const LAST_POSITION = 16_383;
const SCIENTIFIC = /^([0-9]+e[0-9]+)([^0-9].*)$/;

/**
 * The bytes PostgreSQL's to_tsvector needs for a document made of `texts` (in the order
 * the trigger joins them), by its own accounting (make_tsvector and uniqueWORD in
 * to_tsany.c): per distinct word, its UTF-8 bytes rounded up to even, a 2-byte position
 * count and 2 bytes per position it keeps (one per occurrence, at most 255, and every
 * occurrence past position 16383 counting as one). Positions count although the stored
 * vector drops them (strip): the limit applies before. Words longer than
 * MAX_INDEXED_WORD_BYTES are skipped without a position, as PostgreSQL does.
 */
export function searchIndexBytes(texts: readonly (string | null | undefined)[]): number {
  // Per word: [positions before LAST_POSITION, 1 if any occurrence at or past it].
  const words = new Map<string, [number, number]>();
  let position = 0;
  const count = (word: string) => {
    if (word.length > MAX_INDEXED_WORD_BYTES / 3 && utf8Length(word) > MAX_INDEXED_WORD_BYTES) return;
    position++;
    const seen = words.get(word);
    if (!seen) words.set(word, position < LAST_POSITION ? [1, 0] : [0, 1]);
    else if (position < LAST_POSITION) seen[0]++;
    else seen[1] = 1;
  };
  for (const text of texts) {
    if (!text) continue;
    for (const run of text.toLowerCase().match(/[\p{L}\p{Nd}]+/gu) ?? []) {
      // PostgreSQL's parser reads a leading `<digits>e<digits>` as a number in scientific
      // notation and the rest of the run as another word ('2798e4aeca' -> '2798e4', 'aeca').
      const number = SCIENTIFIC.exec(run);
      if (number) {
        count(number[1]!);
        count(number[2]!);
      } else count(run);
    }
  }
  let bytes = 0;
  for (const [word, [before, past]] of words) {
    const length = utf8Length(word);
    bytes += length + (length & 1) + 2 + 2 * Math.min(before + past, MAX_POSITIONS);
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

/** The strings of a JSON array column, given parsed, as JSON text, or as an object holding `text` (JsonText). */
function jsonStrings(value: unknown): string[] {
  let parsed = value;
  const text = typeof value === 'string' ? value : typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string' ? (value as { text: string }).text : null;
  if (text !== null) {
    try {
      parsed = JSON.parse(text);
    } catch {
      return [text];
    }
  }
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * For bulk writers (copy) that handle rows by table: why a row of a table with a search
 * index cannot be indexed on every engine, naming the column a refusal is reported on
 * (the one a repository names), or null. `column(name)` gives the row's value of a
 * snake_case column. The same rule as the repositories' (mirrorSearchProblem,
 * observationSearchProblem).
 */
export function rowSearchProblem(table: string, column: (name: string) => unknown): { column: string; reason: string } | null {
  const text = (name: string) => {
    const v = column(name);
    return typeof v === 'string' ? v : null;
  };
  let reason: string | null = null;
  if (table === 'mirrors') {
    reason = searchIndexProblem([text('title'), text('conversation_text')]);
    return reason ? { column: 'conversation_text', reason } : null;
  }
  if (table === 'memory_observations') {
    reason = searchIndexProblem([text('title'), text('subtitle'), text('narrative'), ...jsonStrings(column('facts')), ...jsonStrings(column('concepts'))]);
    return reason ? { column: 'narrative', reason } : null;
  }
  return null;
}
