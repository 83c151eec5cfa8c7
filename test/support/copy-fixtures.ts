import { sqliteMigrations } from '../../src/migrations/sqlite/index.js';
import { isCopyBookkeeping } from '../../src/ports/bulk-loader.js';
import type { ColumnShape, SchemaSnapshot, TableShape } from '../../src/ports/inspector.js';
import type { Store } from '../../src/ports/store.js';
import { dependencyOrder } from '../../src/transfer/plan.js';

/**
 * Fixtures for copy tests and the copy benchmark, derived from the schema so they cover
 * every table whatever migrations exist: a seeded database of this package. The older
 * daemon's file is built from its own facts, never from this schema: see legacy-fixture.ts.
 */

/** `table.column` -> allowed values, read from the CHECK (x IN (...)) clauses of the SQLite migrations. */
function enumValues(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const migration of sqliteMigrations) {
    if (typeof migration.up !== 'string') continue;
    for (const block of migration.up.split(/CREATE TABLE\s+/i).slice(1)) {
      const table = /^(?:IF NOT EXISTS\s+)?"?(\w+)"?/i.exec(block)![1]!;
      const body = block.split(/\n\);/)[0]!;
      for (const m of body.matchAll(/(\w+)\s+IN\s*\(((?:\s*'[^']*'\s*,?)+)\)/gi)) {
        const values = [...m[2]!.matchAll(/'([^']*)'/g)].map((v) => v[1]!);
        if (!found.has(`${table}.${m[1]}`)) found.set(`${table}.${m[1]}`, values);
      }
    }
  }
  return found;
}

const BASE = Date.UTC(2026, 2, 15, 18, 3, 10, 123);

/** The key value of row `i` of `table` (text keys `<table>-<i>`, integer keys i + 1). */
function keyValue(table: TableShape, column: ColumnShape, i: number): unknown {
  return column.typeClass === 'integer' ? i + 1 : `${table.name}-${i}`;
}

/** Generates row `i` of a table as domain values; foreign keys point at existing parent rows. */
export class RowFactory {
  private readonly enums = enumValues();
  readonly order: TableShape[];
  private readonly byName: Map<string, TableShape>;

  constructor(
    schema: SchemaSnapshot,
    readonly counts: (table: string) => number,
  ) {
    this.order = dependencyOrder(schema.tables.filter((t) => !isCopyBookkeeping(t.name)));
    this.byName = new Map(schema.tables.map((t) => [t.name, t]));
  }

  row(table: TableShape, i: number): unknown[] {
    let radix = 1;
    const fkValue = new Map<string, unknown>();
    for (const fk of table.foreignKeys) {
      const parent = this.byName.get(fk.references)!;
      const n = Math.max(1, this.counts(parent.name));
      const j = Math.floor(i / radix) % n;
      radix *= n;
      fk.columns.forEach((c, k) => {
        const ref = parent.columns.find((pc) => pc.name === fk.referencedColumns[k])!;
        fkValue.set(c, parent.primaryKey.includes(ref.name) ? keyValue(parent, ref, j) : this.value(parent, ref, j));
      });
    }
    return table.columns.map((c) => (fkValue.has(c.name) ? fkValue.get(c.name) : this.value(table, c, i)));
  }

  value(table: TableShape, column: ColumnShape, i: number): unknown {
    if (table.primaryKey.length === 1 && table.primaryKey[0] === column.name) return keyValue(table, column, i);
    const allowed = this.enums.get(`${table.name}.${column.name}`);
    if (allowed) return allowed[i % allowed.length];
    if (column.nullable && i % 5 === 4 && !table.primaryKey.includes(column.name)) return null;
    // Integer nanoseconds as decimal text (mirror_tombstones.file_mtime_ns), beyond 2^53.
    if (column.name.endsWith('_ns') && column.typeClass === 'text') return `${BASE + i * 60_000}${String(i * 7919).padStart(6, '0').slice(-6)}`;
    switch (column.typeClass) {
      case 'timestamp':
        return new Date(BASE + i * 60_000 + column.name.length);
      case 'boolean':
        return i % 2 === 0;
      case 'integer':
        return i + 1;
      case 'real':
        return i + 0.25;
      case 'json':
        return { n: i, tags: ['alpha', `t${i % 3}`], nested: { ok: i % 2 === 0 } };
      default:
        return `${column.name} ${i} words for search ${i % 7}`;
    }
  }

  *batches(table: TableShape, size = 1000): Iterable<unknown[][]> {
    const total = this.counts(table.name);
    for (let start = 0; start < total; start += size) {
      yield Array.from({ length: Math.min(size, total - start) }, (_, k) => this.row(table, start + k));
    }
  }
}

/** Fills every table of a migrated store through the bulk loader; returns rows per table. */
export async function seedEveryTable(store: Store, counts: (table: string) => number): Promise<Record<string, number>> {
  const factory = new RowFactory(await store.inspector.schema(), counts);
  const written: Record<string, number> = {};
  for (const table of factory.order) {
    written[table.name] = await store.bulk.load(table.name, table.columns.map((c) => c.name), factory.batches(table));
    if (table.primaryKey.length === 1 && table.columns.find((c) => c.name === table.primaryKey[0])?.typeClass === 'integer') {
      await store.bulk.resetIdentity(table.name, table.primaryKey[0]!);
    }
  }
  return written;
}
