import { INSTANCE_LEASE_TABLE } from '../../ports/instance-lock.js';
import type { ForeignKeyShape, IndexShape, Inspector, SchemaSnapshot, TableShape, TypeClass } from '../../ports/inspector.js';
import { quoteIdent, type MariadbExecutor } from './mariadb-database.js';

/** The COMMENT the migrations give a column holding a row's search words (an engine artefact, like PostgreSQL's tsvector). */
export const SEARCH_WORDS_COMMENT = 'search words';

/**
 * Column type -> type class. MariaDB has no timestamp or JSON type that fits (instants are
 * BIGINT epoch milliseconds, JSON is LONGTEXT), so the migrations state them in the
 * column's COMMENT ('timestamp', 'json'); BOOLEAN is TINYINT(1).
 */
export function mariadbTypeClass(dataType: string, columnType: string, comment: string): TypeClass {
  if (comment === 'timestamp') return 'timestamp';
  if (comment === 'json') return 'json';
  const type = dataType.toLowerCase();
  if (type === 'tinyint' && /^tinyint\(1\)/i.test(columnType)) return 'boolean';
  if (['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext'].includes(type)) return 'text';
  if (['tinyint', 'smallint', 'mediumint', 'int', 'bigint'].includes(type)) return 'integer';
  if (['float', 'double', 'decimal'].includes(type)) return 'real';
  if (type === 'datetime' || type === 'timestamp') return 'timestamp';
  if (type === 'json') return 'json';
  return 'other';
}

/** What an index's COMMENT says of the partial index it stands for (see `partialIndex`). */
interface PartialIndex {
  filterColumns: string[];
}

/**
 * MariaDB has no partial indexes. The migrations mark an index that stands for another
 * engine's partial one with COMMENT 'partial' and, when it leads with columns that
 * only carry the other engine's WHERE condition (so that the rows it selects sort
 * first), names them: COMMENT 'partial; filter: status' or 'partial; filter: a, b'. The
 * index is then reported as that partial index: flagged partial, those columns left out.
 */
export function partialIndex(comment: string | null | undefined): PartialIndex | null {
  const m = /^partial(?:;\s*filter:\s*(.+))?$/i.exec((comment ?? '').trim());
  if (!m) return null;
  return { filterColumns: m[1] ? m[1].split(',').map((c) => c.trim()).filter(Boolean) : [] };
}

/**
 * The tables of the current database that are engine artefacts of full-text search: each
 * `<table>_words` of a table with a search-words column.
 */
async function wordTables(db: MariadbExecutor): Promise<Set<string>> {
  const { rows } = await db.query<{ t: string }>(
    `SELECT DISTINCT CONCAT(table_name, '_words') AS t FROM information_schema.columns
     WHERE table_schema = DATABASE() AND column_comment = ?`,
    [SEARCH_WORDS_COMMENT],
  );
  return new Set(rows.map((r) => r.t));
}

/**
 * The data tables of the current database, sorted by code point: without the bookkeeping
 * of migrations and of the lease lock, and without full-text word tables.
 */
export async function mariadbTableNames(db: MariadbExecutor, options: { withBookkeeping?: boolean } = {}): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const words = await wordTables(db);
  const skip = new Set(options.withBookkeeping ? [] : ['schema_migrations', INSTANCE_LEASE_TABLE]);
  return rows
    .map((r) => r.name)
    .filter((name) => !words.has(name) && !skip.has(name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Introspects the current database's schema (search-words columns and word tables left out). */
export async function mariadbSchema(db: MariadbExecutor): Promise<SchemaSnapshot> {
  const tables = await mariadbTableNames(db);
  const columns = await db.query<{ table_name: string; name: string; data_type: string; column_type: string; comment: string; nullable: string }>(
    `SELECT table_name, column_name AS name, data_type, column_type, column_comment AS comment, is_nullable AS nullable
     FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`,
  );
  const stats = await db.query<{ table_name: string; name: string; non_unique: number; seq: number; column_name: string | null; comment: string }>(
    `SELECT table_name, index_name AS name, non_unique, seq_in_index AS seq, column_name, index_comment AS comment
     FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index`,
  );
  const keys = await db.query<{ table_name: string; name: string; column_name: string; ref: string; refcol: string; seq: number }>(
    `SELECT table_name, constraint_name AS name, column_name, referenced_table_name AS ref, referenced_column_name AS refcol, ordinal_position AS seq
     FROM information_schema.key_column_usage
     WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL ORDER BY table_name, constraint_name, ordinal_position`,
  );
  const rules = await db.query<{ table_name: string; name: string; delete_rule: string }>(
    `SELECT table_name, constraint_name AS name, delete_rule FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()`,
  );

  return {
    tables: tables.map((name): TableShape => {
      const cols = columns.rows.filter((c) => c.table_name === name && c.comment !== SEARCH_WORDS_COMMENT);
      const fks = new Map<string, ForeignKeyShape>();
      for (const k of keys.rows.filter((r) => r.table_name === name)) {
        const rule = rules.rows.find((r) => r.table_name === name && r.name === k.name)?.delete_rule ?? 'RESTRICT';
        const fk = fks.get(k.name) ?? { columns: [], references: k.ref, referencedColumns: [], onDelete: rule };
        fk.columns.push(k.column_name);
        fk.referencedColumns.push(k.refcol);
        fks.set(k.name, fk);
      }
      const byIndex = new Map<string, { unique: boolean; columns: string[]; partial: PartialIndex | null }>();
      for (const s of stats.rows.filter((r) => r.table_name === name)) {
        const index = byIndex.get(s.name) ?? { unique: Number(s.non_unique) === 0, columns: [], partial: partialIndex(s.comment) };
        index.columns.push(s.column_name ?? '<expression>');
        byIndex.set(s.name, index);
      }
      const primaryKey = byIndex.get('PRIMARY')?.columns ?? [];
      const indexes: IndexShape[] = [...byIndex.entries()]
        // InnoDB adds an index named after a foreign key whose columns no index leads with.
        .filter(([indexName]) => indexName !== 'PRIMARY' && !fks.has(indexName))
        .map(([indexName, index]) => ({
          // A unique constraint (named `..._key`, as PostgreSQL names them) by its columns, as the other engines report it.
          name: index.unique && indexName.endsWith('_key') ? `unique(${index.columns.join(',')})` : indexName,
          columns: index.columns.filter((c) => !index.partial?.filterColumns.includes(c)),
          unique: index.unique,
          partial: index.partial !== null,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      return {
        name,
        columns: cols.map((c) => ({ name: c.name, typeClass: mariadbTypeClass(c.data_type, c.column_type, c.comment), nullable: c.nullable === 'YES' })),
        primaryKey,
        foreignKeys: [...fks.values()].sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
        indexes,
      };
    }),
  };
}

export class MariadbInspector implements Inspector {
  constructor(private readonly db: MariadbExecutor) {}

  schema(): Promise<SchemaSnapshot> {
    return mariadbSchema(this.db);
  }

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const name of await mariadbTableNames(this.db)) {
      const { rows } = await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(name)}`);
      counts[name] = Number(rows[0]!.n);
    }
    return counts;
  }

  /**
   * Rows whose parent is missing, for every foreign key: possible only where foreign-key
   * checks were turned off while writing (a bulk load). Each key is checked with one
   * anti-join.
   */
  async integrityProblems(): Promise<string[]> {
    const problems: string[] = [];
    const keys = await this.db.query<{ table_name: string; name: string; column_name: string; ref: string; refcol: string }>(
      `SELECT table_name, constraint_name AS name, column_name, referenced_table_name AS ref, referenced_column_name AS refcol
       FROM information_schema.key_column_usage
       WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL ORDER BY table_name, constraint_name, ordinal_position`,
    );
    const grouped = new Map<string, { table: string; ref: string; cols: string[]; refcols: string[] }>();
    for (const k of keys.rows) {
      const key = `${k.table_name}.${k.name}`;
      const g = grouped.get(key) ?? { table: k.table_name, ref: k.ref, cols: [], refcols: [] };
      g.cols.push(k.column_name);
      g.refcols.push(k.refcol);
      grouped.set(key, g);
    }
    for (const [name, g] of grouped) {
      const notNull = g.cols.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
      const join = g.cols.map((c, i) => `p.${quoteIdent(g.refcols[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
      const { rows } = await this.db.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM ${quoteIdent(g.table)} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(g.ref)} p WHERE ${join})`,
      );
      const n = Number(rows[0]!.n);
      if (n > 0) problems.push(`${n} row(s) of ${g.table} reference a missing ${g.ref} row (foreign key ${name.slice(g.table.length + 1)})`);
    }
    return problems;
  }
}
