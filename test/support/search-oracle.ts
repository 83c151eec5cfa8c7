/**
 * An independent, deliberately naive implementation of the full-text semantics stated in
 * the MemoryRepository and MirrorRepository ports: words are runs of Unicode letters and
 * decimal digits, compared lowercased and whole, except that a query word directly followed
 * by `*` matches any document word starting with it; a document matches when it holds every
 * term of the query; a query without words matches nothing; newest first (createdAt
 * descending, then id descending). The contract asserts every engine equals it.
 */
function wordsOf(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of text.toLowerCase()) {
    if (/^[\p{L}\p{Nd}]$/u.test(ch)) current += ch;
    else if (current) {
      out.push(current);
      current = '';
    }
  }
  if (current) out.push(current);
  return out;
}

export interface Searchable {
  id: number;
  createdAt: Date;
}

/** The query's terms: `*word` for a prefix (the word was directly followed by `*`), ` word` otherwise. */
function termsOf(query: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of `${query.toLowerCase()} `) {
    if (/^[\p{L}\p{Nd}]$/u.test(ch)) current += ch;
    else if (current) {
      out.push(`${ch === '*' ? '*' : ' '}${current}`);
      current = '';
    }
  }
  return out;
}

export function oracleSearch<T extends Searchable>(docs: readonly T[], texts: (doc: T) => (string | null)[], query: string, limit = Infinity): number[] {
  const wanted = termsOf(query);
  if (wanted.length === 0) return [];
  return docs
    .filter((doc) => {
      const words = texts(doc).flatMap((t) => (t === null ? [] : wordsOf(t)));
      const have = new Set(words);
      return wanted.every((term) => (term[0] === '*' ? words.some((w) => w.startsWith(term.slice(1))) : have.has(term.slice(1))));
    })
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)
    .slice(0, limit)
    .map((doc) => doc.id);
}

/** A small deterministic random source, so both engines get the same corpus. */
export function seeded(seed: number): { int(n: number): number; pick<T>(list: readonly T[]): T; some<T>(list: readonly T[], min: number, max: number): T[] } {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)]!;
  return { int, pick, some: (list, min, max) => Array.from({ length: min + int(max - min + 1) }, () => pick(list)) };
}
