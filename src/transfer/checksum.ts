import { createHash } from 'node:crypto';
import { JsonText } from '../ports/bulk-loader.js';
import type { TypeClass } from '../ports/inspector.js';

/** JSON with object keys sorted, so `{b, a}` from jsonb and `{a, b}` from SQLite text hash alike. */
function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonicalJson((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const MASK = (1n << 64n) - 1n;

/**
 * A content checksum of a table computed the same way on both sides of a copy: each
 * row (domain values, columns in name order, timestamps as epoch ms, JSON with sorted
 * keys) is hashed with SHA-256, and the hashes are added up (two 64-bit lanes). The sum
 * does not depend on row order, so each engine may read in its own key order (text
 * keys sort differently under PostgreSQL collations than in SQLite).
 */
export class TableChecksum {
  private a = 0n;
  private b = 0n;
  rows = 0;
  private readonly order: number[];

  constructor(
    columns: string[],
    private readonly types: TypeClass[],
  ) {
    this.order = columns.map((name, i) => [name, i] as const).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, i]) => i);
  }

  add(row: unknown[]): void {
    const canonical = this.order.map((i) => {
      const v = row[i];
      if (v === null || v === undefined) return null;
      const type = this.types[i];
      if (type === 'timestamp') return v instanceof Date ? v.getTime() : v;
      if (type === 'json') return canonicalJson(v instanceof JsonText ? JSON.parse(v.text) : v);
      return v;
    });
    const digest = createHash('sha256').update(JSON.stringify(canonical)).digest();
    this.a = (this.a + digest.readBigUInt64BE(0)) & MASK;
    this.b = (this.b + digest.readBigUInt64BE(8)) & MASK;
    this.rows++;
  }

  hex(): string {
    return this.a.toString(16).padStart(16, '0') + this.b.toString(16).padStart(16, '0');
  }
}
