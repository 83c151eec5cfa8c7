import Database from 'better-sqlite3';
import { sqliteMigrations } from '../../src/migrations/sqlite/index.js';
import { isCopyBookkeeping } from '../../src/ports/bulk-loader.js';
import type { ColumnShape, SchemaSnapshot, TableShape } from '../../src/ports/inspector.js';
import type { Store } from '../../src/ports/store.js';
import { dependencyOrder } from '../../src/transfer/plan.js';

/**
 * Fixtures for copy tests and the copy benchmark, derived from the schema so they cover
 * every table whatever migrations exist: a seeded database of this package, and a
 * database of the older daemon built from the facts in docs/legacy-teleclaude.md.
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

/** Later tables and columns an older install lacks. */
export const LEGACY_MISSING_TABLES = ['mirrors', 'mirror_tombstones', 'operations'];
const LEGACY_MISSING_COLUMNS = ['sessions.owner_person', 'sessions.owner_uid', 'sessions.principal', 'sessions.turn_triggered_by_linked_output'];
const LEGACY_NAMES: Record<string, string> = {
  'inbound_queue.payload': 'payload_json',
  'webhook_contracts.contract': 'contract_json',
  'webhook_outbox.event': 'event_json',
  'conversation_links.metadata': 'metadata_json',
  'operations.payload': 'payload_json',
};
/** Declared CURRENT_TIMESTAMP defaults that are NULL in practice. */
const ALWAYS_NULL = ['pending_message_deletions.created_at', 'system_settings.updated_at'];

export interface LegacyExpectations {
  /** Rows of each table that must arrive (non-orphans). */
  rows: Record<string, number>;
  /** `table/id` of every orphan. */
  orphans: string[];
  /** `table/id/column` of every malformed JSON value. */
  malformed: string[];
}

function legacyText(ms: number, iso: boolean): string {
  const d = new Date(ms).toISOString().replace('Z', '');
  return iso ? `${d}456+00:00` : `${d.replace('T', ' ')}456`;
}

/**
 * Writes the older daemon's teleclaude.db: timestamps as text in both formats (and ''
 * or NULL), booleans 0/1 (some NULL), JSON text (some '', NULL, one malformed value per
 * JSON column), undeclared foreign keys with orphans (every 10th child row), missing
 * later tables and columns, memory tables with created_at_epoch, the empty
 * notification_outbox, FTS5 tables with their shadow tables, and schema_migrations(version).
 */
export function buildLegacyDatabase(path: string, schema: SchemaSnapshot, perTable = 40): LegacyExpectations {
  const db = new Database(path);
  const factory = new RowFactory(schema, () => perTable);
  const expected: LegacyExpectations = { rows: {}, orphans: [], malformed: [] };
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = OFF');
  db.exec('BEGIN');
  db.exec(`CREATE TABLE schema_migrations (version TEXT NOT NULL, applied_at TEXT DEFAULT CURRENT_TIMESTAMP)`);
  const versions = Array.from({ length: 32 }, (_, i) => `${String(i + 1).padStart(3, '0')}_step_${i + 1}`);
  versions.push('017_step_17b', '025_step_25b');
  for (const v of versions) db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, '2025-01-01 10:00:00');
  db.exec('CREATE TABLE notification_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT, created_at TEXT)');
  db.exec('CREATE VIRTUAL TABLE memory_observations_fts USING fts5(title, narrative)');
  db.exec('CREATE VIRTUAL TABLE mirrors_fts USING fts5(title, conversation_text)');
  db.exec("INSERT INTO memory_observations_fts (title, narrative) VALUES ('stale', 'index rows are rebuilt, not copied')");

  for (const table of factory.order) {
    if (LEGACY_MISSING_TABLES.includes(table.name)) continue;
    const columns = table.columns.filter((c) => !LEGACY_MISSING_COLUMNS.includes(`${table.name}.${c.name}`));
    const names = columns.map((c) => LEGACY_NAMES[`${table.name}.${c.name}`] ?? c.name);
    const epoch = table.name.startsWith('memory_') && columns.some((c) => c.name === 'created_at');
    const ddl = columns.map((c, k) => {
      const key = table.primaryKey.length === 1 && table.primaryKey[0] === c.name;
      const type = c.typeClass === 'timestamp' ? 'TIMESTAMP' : c.typeClass === 'boolean' ? 'BOOLEAN' : c.typeClass === 'json' ? 'TEXT' : c.typeClass.toUpperCase();
      const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c.name);
      return `${names[k]} ${key && c.typeClass === 'integer' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : type}${key && c.typeClass !== 'integer' ? ' PRIMARY KEY' : ''}${c.name.endsWith('created_at') || c.name === 'updated_at' ? ' DEFAULT CURRENT_TIMESTAMP' : ''}${fk ? ` REFERENCES ${fk.references}(${fk.referencedColumns[0]})` : ''}`;
    });
    if (epoch) ddl.push('created_at_epoch INTEGER');
    if (table.primaryKey.length > 1) ddl.push(`PRIMARY KEY (${table.primaryKey.join(', ')})`);
    db.exec(`CREATE TABLE ${table.name} (${ddl.join(', ')})`);
    const insert = db.prepare(`INSERT INTO ${table.name} (${[...names, ...(epoch ? ['created_at_epoch'] : [])].join(', ')}) VALUES (${[...names, ...(epoch ? [0] : [])].map(() => '?').join(', ')})`);
    let kept = 0;
    for (let i = 0; i < perTable; i++) {
      const full = factory.row(table, i);
      const orphan = table.foreignKeys.length > 0 && i % 10 === 9;
      let malformedAt = null as string[] | null;
      const values = columns.map((c) => {
        let v = full[table.columns.indexOf(c)];
        const fk = table.foreignKeys.find((f) => f.columns.includes(c.name));
        if (orphan && fk && fk === table.foreignKeys[0]) v = c.typeClass === 'integer' ? 9_000_000 + i : `gone-${i}`;
        if (fk || table.primaryKey.includes(c.name)) return v;
        if (ALWAYS_NULL.includes(`${table.name}.${c.name}`)) return null;
        if (c.typeClass === 'timestamp') return i % 8 === 6 ? null : i % 8 === 7 ? '' : v === null ? null : legacyText((v as Date).getTime(), i % 2 === 1);
        if (c.typeClass === 'boolean') return i % 9 === 8 ? null : v ? 1 : 0;
        if (c.typeClass === 'json') {
          if (i === 3) {
            (malformedAt ??= []).push(c.name);
            return '{"unterminated": ';
          }
          return i % 11 === 10 ? '' : v === null ? null : JSON.stringify(v);
        }
        if (c.typeClass === 'integer' && c.nullable && i % 6 === 5) return '';
        return v;
      });
      const id = table.primaryKey.map((k) => String(values[columns.findIndex((c) => c.name === k)])).join('/');
      if (malformedAt !== null && !orphan) expected.malformed.push(...malformedAt.map((c) => `${table.name}/${id}/${c}`));
      if (epoch) {
        const at = full[table.columns.findIndex((c) => c.name === 'created_at')] as Date;
        values.push(Math.floor(at.getTime() / 1000));
        if (i % 3 === 0) values[columns.findIndex((c) => c.name === 'created_at')] = null;
      }
      insert.run(...values);
      if (orphan) expected.orphans.push(`${table.name}/${id}`);
      else kept++;
    }
    expected.rows[table.name] = kept;
  }
  for (const name of LEGACY_MISSING_TABLES) if (schema.tables.some((t) => t.name === name)) expected.rows[name] = 0;
  db.exec('COMMIT');
  db.close();
  return expected;
}
