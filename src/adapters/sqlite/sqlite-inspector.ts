import type { ColumnShape, ForeignKeyShape, IndexShape, Inspector, SchemaSnapshot, TableShape, TypeClass } from '../../ports/inspector.js';
import { quoteIdent, type SqliteDb, type SqliteExecutor } from './sqlite-database.js';

const FTS_SHADOW_SUFFIXES = ['_data', '_idx', '_content', '_docsize', '_config'];

/** Declared column type -> type class. The INTEGER_MS / INTEGER_BOOL / TEXT_JSON names come from the migrations. */
function typeClass(declared: string): TypeClass {
  switch (declared.toUpperCase()) {
    case 'TEXT':
      return 'text';
    case 'INTEGER':
      return 'integer';
    case 'REAL':
      return 'real';
    case 'INTEGER_BOOL':
      return 'boolean';
    case 'INTEGER_MS':
      return 'timestamp';
    case 'TEXT_JSON':
      return 'json';
    default:
      return 'other';
  }
}

/** Every table that holds data: no SQLite internals, FTS5 virtual tables or their shadow tables. */
export function sqliteDataTables(db: SqliteDb): string[] {
  const rows = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
    name: string;
    sql: string | null;
  }[];
  const virtual = rows.filter((r) => /^CREATE VIRTUAL TABLE/i.test(r.sql ?? '')).map((r) => r.name);
  const shadow = new Set(virtual.flatMap((v) => FTS_SHADOW_SUFFIXES.map((s) => v + s)));
  return rows.map((r) => r.name).filter((n) => !n.startsWith('sqlite_') && !virtual.includes(n) && !shadow.has(n));
}

/** The tables of this package: the data tables without schema_migrations. */
export function sqliteTableNames(db: SqliteDb): string[] {
  return sqliteDataTables(db).filter((n) => n !== 'schema_migrations');
}

function table(db: SqliteDb, name: string): TableShape {
  const info = db.prepare('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY cid').all(name) as {
    name: string;
    type: string;
    nn: number;
    pk: number;
  }[];
  const columns: ColumnShape[] = info.map((c) => ({ name: c.name, typeClass: typeClass(c.type), nullable: c.nn === 0 && c.pk === 0 }));
  const primaryKey = info
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);

  const fkRows = db
    .prepare('SELECT id, seq, "table" AS ref, "from" AS col, "to" AS refcol, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq')
    .all(name) as { id: number; ref: string; col: string; refcol: string; on_delete: string }[];
  const fks = new Map<number, ForeignKeyShape>();
  for (const r of fkRows) {
    const fk = fks.get(r.id) ?? { columns: [], references: r.ref, referencedColumns: [], onDelete: r.on_delete.toUpperCase() };
    fk.columns.push(r.col);
    fk.referencedColumns.push(r.refcol);
    fks.set(r.id, fk);
  }

  const indexes: IndexShape[] = [];
  const list = db.prepare('SELECT name, "unique" AS u, origin, partial FROM pragma_index_list(?)').all(name) as {
    name: string;
    u: number;
    origin: string;
    partial: number;
  }[];
  for (const idx of list) {
    if (idx.origin === 'pk') continue;
    const cols = (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(idx.name) as { name: string | null }[]).map(
      (c) => c.name ?? '<expression>',
    );
    indexes.push({
      name: idx.origin === 'u' ? `unique(${cols.join(',')})` : idx.name,
      columns: cols,
      unique: idx.u === 1,
      partial: idx.partial === 1,
    });
  }
  indexes.sort((a, b) => a.name.localeCompare(b.name));
  const foreignKeys = [...fks.values()].sort((a, b) => a.columns.join().localeCompare(b.columns.join()));
  return { name, columns, primaryKey, foreignKeys, indexes };
}

export function sqliteSchema(db: SqliteDb): SchemaSnapshot {
  return { tables: sqliteTableNames(db).map((name) => table(db, name)) };
}

export class SqliteInspector implements Inspector {
  constructor(private readonly db: SqliteExecutor) {}

  schema(): Promise<SchemaSnapshot> {
    return this.db.run((db) => sqliteSchema(db));
  }

  rowCounts(): Promise<Record<string, number>> {
    return this.db.run((db) => {
      const counts: Record<string, number> = {};
      for (const name of sqliteTableNames(db)) {
        counts[name] = (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number }).n;
      }
      return counts;
    });
  }

  integrityProblems(): Promise<string[]> {
    return this.db.run((db) => {
      const problems = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
        .map((r) => r.integrity_check)
        .filter((r) => r !== 'ok');
      const orphans = db.prepare('PRAGMA foreign_key_check').all() as { table: string; rowid: number; parent: string }[];
      for (const o of orphans) problems.push(`${o.table} row ${o.rowid} references a missing ${o.parent} row`);
      return problems;
    });
  }
}
