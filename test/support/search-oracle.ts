/**
 * An independent, deliberately naive implementation of the full-text semantics stated in
 * the MemoryRepository and MirrorRepository ports: words are runs of Unicode letters and
 * decimal digits, compared lowercased and whole; a document matches when it holds every
 * word of the query; a query without words matches nothing; newest first (createdAt
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

export function oracleSearch<T extends Searchable>(docs: readonly T[], texts: (doc: T) => (string | null)[], query: string, limit = Infinity): number[] {
  const wanted = [...new Set(wordsOf(query))];
  if (wanted.length === 0) return [];
  return docs
    .filter((doc) => {
      const have = new Set(texts(doc).flatMap((t) => (t === null ? [] : wordsOf(t))));
      return wanted.every((w) => have.has(w));
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
