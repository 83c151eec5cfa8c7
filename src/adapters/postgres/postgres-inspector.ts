import { INSTANCE_LEASE_TABLE } from '../../ports/instance-lock.js';
import type { ForeignKeyShape, IndexShape, Inspector, SchemaSnapshot, TableShape, TypeClass } from '../../ports/inspector.js';
import { quoteIdent, type PostgresExecutor } from './postgres-database.js';

function typeClass(type: string): TypeClass {
  if (type === 'text' || type.startsWith('character')) return 'text';
  if (type === 'integer' || type === 'bigint' || type === 'smallint') return 'integer';
  if (type === 'double precision' || type === 'real' || type.startsWith('numeric')) return 'real';
  if (type === 'boolean') return 'boolean';
  if (type.startsWith('timestamp')) return 'timestamp';
  if (type === 'jsonb' || type === 'json') return 'json';
  return 'other';
}

const ON_DELETE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/**
 * Introspects the current schema (the first entry of search_path). Search vectors
 * (tsvector columns) and the indexes on them are engine-only and left out, as are
 * FTS5 tables on SQLite.
 */
export async function postgresSchema(db: PostgresExecutor): Promise<SchemaSnapshot> {
  const tables = await postgresTableNames(db);
  const columns = await db.query<{ table_name: string; name: string; type: string; not_null: boolean }>(
    `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`,
  );
  const constraints = await db.query<{ table_name: string; contype: string; cols: string[]; ref: string | null; refcols: string[] | null; deltype: string }>(
    `SELECT c.relname AS table_name, k.contype,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i)::text[] AS cols,
       r.relname AS ref,
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)::text[] AS refcols,
       k.confdeltype AS deltype
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_class r ON r.oid = k.confrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND k.contype IN ('p', 'u', 'f')`,
  );
  const indexes = await db.query<{ table_name: string; name: string; cols: (string | null)[]; is_unique: boolean; partial: boolean; types: string[] }>(
    `SELECT c.relname AS table_name, i.relname AS name, x.indisunique AS is_unique, x.indpred IS NOT NULL AS partial,
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(n, o) LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n ORDER BY u.o)::text[] AS cols,
       ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(x.indkey::int2[]) u(n) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n)::text[] AS types
     FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
     WHERE c.relnamespace = current_schema()::regnamespace
       AND NOT x.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u'))`,
  );

  return {
    tables: tables.map((name): TableShape => {
      const cols = columns.rows.filter((c) => c.table_name === name && c.type !== 'tsvector');
      const own = constraints.rows.filter((k) => k.table_name === name);
      const uniques: IndexShape[] = own
        .filter((k) => k.contype === 'u')
        .map((k) => ({ name: `unique(${k.cols.join(',')})`, columns: k.cols, unique: true, partial: false }));
      const plain: IndexShape[] = indexes.rows
        .filter((i) => i.table_name === name && !i.types.includes('tsvector') && !i.cols.includes(null))
        .map((i) => ({ name: i.name, columns: i.cols as string[], unique: i.is_unique, partial: i.partial }));
      const foreignKeys: ForeignKeyShape[] = own
        .filter((k) => k.contype === 'f')
        .map((k) => ({ columns: k.cols, references: k.ref!, referencedColumns: k.refcols ?? [], onDelete: ON_DELETE[k.deltype] ?? k.deltype }))
        .sort((a, b) => a.columns.join().localeCompare(b.columns.join()));
      return {
        name,
        columns: cols.map((c) => ({ name: c.name, typeClass: typeClass(c.type), nullable: !c.not_null })),
        primaryKey: own.find((k) => k.contype === 'p')?.cols ?? [],
        foreignKeys,
        indexes: [...uniques, ...plain].sort((a, b) => a.name.localeCompare(b.name)),
      };
    }),
  };
}

/** The tables of this package in the current schema, the bookkeeping of migrations and of the lease lock excepted. */
export async function postgresTableNames(db: PostgresExecutor): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')
       AND relname <> ALL($1::text[]) ORDER BY relname COLLATE "C"`,
    [['schema_migrations', INSTANCE_LEASE_TABLE]],
  );
  return rows.map((r) => r.name);
}

export class PostgresInspector implements Inspector {
  constructor(private readonly db: PostgresExecutor) {}

  schema(): Promise<SchemaSnapshot> {
    return postgresSchema(this.db);
  }

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const name of await postgresTableNames(this.db)) {
      const { rows } = await this.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdent(name)}`);
      counts[name] = rows[0]!.n;
    }
    return counts;
  }

  async integrityProblems(): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE i.relnamespace = current_schema()::regnamespace AND NOT x.indisvalid`,
    );
    return rows.map((r) => `index ${r.name} is invalid`);
  }
}
