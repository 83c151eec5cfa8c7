import type { SourceTable, TableReader } from '../../ports/table-reader.js';
import { createDatabase, PostgresDatabase, quoteIdent, type PostgresOptions } from './postgres-database.js';

/** `'{}'::jsonb` -> '{}', `0` -> 0, `false` -> false; expressions (now(), nextval(...)) -> undefined. */
function pgLiteral(expression: string): string | number | boolean | undefined {
  const literal = expression.replace(/::[a-z ]+(\[\])?$/i, '').trim();
  const quoted = /^'((?:[^']|'')*)'$/.exec(literal);
  if (quoted) return quoted[1]!.replace(/''/g, "'");
  if (/^[+-]?\d+(\.\d+)?$/.test(literal)) return Number(literal);
  if (literal === 'true' || literal === 'false') return literal === 'true';
  return undefined;
}

interface Column {
  name: string;
  pk: number;
  type: string;
  default: string | null;
}

/** Reads the tables of a PostgreSQL schema (read-only work on a small pool of its own). */
export class PostgresTableReader implements TableReader {
  readonly decodesValues = true;
  readonly enforcesForeignKeys = true;
  private readonly database: PostgresDatabase;
  private columns: Map<string, Column[]> | null = null;

  constructor(
    options: PostgresOptions,
    readonly location: string,
  ) {
    this.database = createDatabase({ ...options, pool: { max: 2 }, statementTimeoutMs: 0 });
  }

  async tables(): Promise<SourceTable[]> {
    const all = await this.columnMap();
    return [...all.keys()].sort().map((name) => ({ name, columns: all.get(name)!.map((c) => c.name) }));
  }

  async count(table: string): Promise<number> {
    const { rows } = await this.database.query<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
    return rows[0]!.n;
  }

  async *rows(table: string, columns: string[], batchSize: number): AsyncIterable<unknown[][]> {
    const all = (await this.columnMap()).get(table);
    if (!all) throw new TypeError(`unknown table ${table}`);
    const pk = all.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    if (pk.length === 0) throw new TypeError(`table ${table} has no primary key to page through`);
    const keyList = pk.map((c) => quoteIdent(c.name)).join(', ');
    // The key columns ride along at the end of each row and are cut off before yielding.
    const select = `SELECT ${[...columns, ...pk.map((c) => c.name)].map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`;
    const after = `(${keyList}) > (${pk.map((c, i) => `$${i + 1}::${c.type}`).join(', ')})`;
    const page = async (last: unknown[] | null): Promise<unknown[][]> => {
      const text = last ? `${select} WHERE ${after} ORDER BY ${keyList} LIMIT ${batchSize}` : `${select} ORDER BY ${keyList} LIMIT ${batchSize}`;
      return this.database.queryArrays(text, last ?? []);
    };
    let last: unknown[] | null = null;
    for (;;) {
      const rows = await page(last);
      if (rows.length === 0) return;
      last = rows[rows.length - 1]!.slice(columns.length);
      for (const row of rows) row.length = columns.length;
      yield rows;
      if (rows.length < batchSize) return;
    }
  }

  async missingKeys(table: string, columns: string[], keys: unknown[][]): Promise<Set<string>> {
    const unique = new Map(keys.map((key) => [JSON.stringify(key), key]));
    if (unique.size === 0) return new Set();
    const types = new Map(((await this.columnMap()).get(table) ?? []).map((c) => [c.name, c.type]));
    const arrays = columns.map((_, i) => [...unique.values()].map((k) => k[i]));
    const list = columns.map(quoteIdent).join(', ');
    const param = (i: number) => `$${i + 1}::${types.get(columns[i]!) ?? 'text'}[]`;
    // One column (every key of this schema): = ANY probes the referenced unique index key by key.
    const where =
      columns.length === 1
        ? `${list} = ANY(${param(0)})`
        : `(${list}) IN (SELECT * FROM unnest(${columns.map((_, i) => param(i)).join(', ')}))`;
    const { rows } = await this.database.query(`SELECT ${list} FROM ${quoteIdent(table)} WHERE ${where}`, arrays);
    const missing = new Set(unique.keys());
    for (const row of rows) missing.delete(JSON.stringify(columns.map((c) => row[c])));
    return missing;
  }

  async orphanCount(table: string, columns: string[], parent: string, parentColumns: string[]): Promise<number> {
    const present = columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
    const matches = columns.map((c, i) => `p.${quoteIdent(parentColumns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
    const { rows } = await this.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoteIdent(table)} AS c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(parent)} AS p WHERE ${matches})`,
    );
    return rows[0]!.n;
  }

  async malformedJsonCount(table: string, columns: string[]): Promise<number> {
    const types = new Map(((await this.columnMap()).get(table) ?? []).map((c) => [c.name, c.type]));
    // json and jsonb hold nothing else; other columns are read and parsed here (PostgreSQL 15 has no pg_input_is_valid).
    const text = columns.filter((c) => !/^jsonb?$/.test(types.get(c) ?? ''));
    if (text.length === 0) return 0;
    let malformed = 0;
    for await (const batch of this.rows(table, text, 1000)) {
      for (const row of batch) {
        const bad = row.some((value) => {
          if (value === null) return false;
          try {
            JSON.parse(String(value));
            return false;
          } catch {
            return true;
          }
        });
        if (bad) malformed++;
      }
    }
    return malformed;
  }

  async columnDefaults(table: string): Promise<Record<string, string | number | boolean>> {
    const defaults: Record<string, string | number | boolean> = {};
    for (const column of (await this.columnMap()).get(table) ?? []) {
      const value = column.default === null ? undefined : pgLiteral(column.default);
      if (value !== undefined) defaults[column.name] = value;
    }
    return defaults;
  }

  async lastWritten(): Promise<Date> {
    const { rows } = await this.database.query<{ at: Date }>('SELECT pg_postmaster_start_time() AS at');
    return rows[0]!.at;
  }

  async fingerprint(): Promise<string> {
    return this.location;
  }

  close(): Promise<void> {
    return this.database.close();
  }

  private async columnMap(): Promise<Map<string, Column[]>> {
    if (this.columns) return this.columns;
    const { rows } = await this.database.query<Column & { table_name: string }>(
      `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
         coalesce(array_position(k.conkey, a.attnum), 0) AS pk, pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
       WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
         AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       ORDER BY c.relname, a.attnum`,
    );
    this.columns = new Map();
    for (const row of rows) {
      const list = this.columns.get(row.table_name) ?? [];
      list.push({ name: row.name, pk: Number(row.pk), type: row.type, default: row.default });
      this.columns.set(row.table_name, list);
    }
    return this.columns;
  }
}
