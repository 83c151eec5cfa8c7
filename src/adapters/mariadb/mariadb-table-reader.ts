import type { SourceTable, TableReader } from '../../ports/table-reader.js';
import { createMariadbDatabase, quoteIdent, type MariadbDatabase, type MariadbOptions } from './mariadb-database.js';
import { mariadbTypeClass, SEARCH_WORDS_COMMENT } from './mariadb-inspector.js';

interface Column {
  name: string;
  /** Position in the primary key (1-based), 0 when not part of it. */
  pk: number;
  kind: 'timestamp' | 'json' | 'other';
  /** COLUMN_DEFAULT as information_schema shows it (a quoted literal, a number, NULL, or an expression). */
  default: string | null;
}

/** `'{}'` -> '{}', `0` -> 0; NULL and expressions (current_timestamp(), ...) -> undefined. */
function mariadbLiteral(expression: string): string | number | undefined {
  const quoted = /^'((?:[^'\\]|''|\\.)*)'$/s.exec(expression);
  if (quoted) return quoted[1]!.replace(/''/g, "'").replace(/\\(.)/gs, '$1');
  if (/^[+-]?\d+(\.\d+)?$/.test(expression)) return Number(expression);
  return undefined;
}

/**
 * Reads the tables of a MariaDB database (read-only work on a small pool of its own).
 * Values come decoded, as from PostgreSQL: instants (BIGINT epoch ms, COMMENT
 * 'timestamp') as Date, BOOLEAN as boolean, JSON (LONGTEXT, COMMENT 'json') parsed.
 * Search-words columns and full-text word tables are engine artefacts and left out.
 */
export class MariadbTableReader implements TableReader {
  readonly decodesValues = true;
  readonly enforcesForeignKeys = true;
  private readonly database: MariadbDatabase;
  private columns: Map<string, Column[]> | null = null;

  constructor(
    options: MariadbOptions,
    readonly location: string,
  ) {
    this.database = createMariadbDatabase({ ...options, pool: { max: 2 }, statementTimeoutMs: 0 });
  }

  async tables(): Promise<SourceTable[]> {
    const all = await this.columnMap();
    return [...all.keys()].sort().map((name) => ({ name, columns: all.get(name)!.map((c) => c.name) }));
  }

  async count(table: string): Promise<number> {
    const { rows } = await this.database.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)}`);
    return Number(rows[0]!.n);
  }

  async *rows(table: string, columns: string[], batchSize: number): AsyncIterable<unknown[][]> {
    const all = (await this.columnMap()).get(table);
    if (!all) throw new TypeError(`unknown table ${table}`);
    const pk = all.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    if (pk.length === 0) throw new TypeError(`table ${table} has no primary key to page through`);
    const byName = new Map(all.map((c) => [c.name, c]));
    const decoders = columns.map((name) => {
      const column = byName.get(name);
      if (!column) throw new TypeError(`unknown column ${table}.${name}`);
      return decoder(column);
    });
    const keyList = pk.map((c) => quoteIdent(c.name)).join(', ');
    // The key columns ride along at the end of each row and are cut off before yielding.
    const select = `SELECT ${[...columns, ...pk.map((c) => c.name)].map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`;
    const after = `(${keyList}) > (${pk.map(() => '?').join(', ')})`;
    let last: unknown[] | null = null;
    for (;;) {
      const text: string = last
        ? `${select} WHERE ${after} ORDER BY ${keyList} LIMIT ${Math.trunc(batchSize)}`
        : `${select} ORDER BY ${keyList} LIMIT ${Math.trunc(batchSize)}`;
      const rows: unknown[][] = await this.database.queryArrays(text, last ?? []);
      if (rows.length === 0) return;
      last = rows[rows.length - 1]!.slice(columns.length);
      for (const row of rows) {
        row.length = columns.length;
        for (let i = 0; i < decoders.length; i++) {
          const decode = decoders[i];
          if (decode && row[i] !== null) row[i] = decode(row[i]);
        }
      }
      yield rows;
      if (rows.length < batchSize) return;
    }
  }

  async missingKeys(table: string, columns: string[], keys: unknown[][]): Promise<Set<string>> {
    const unique = new Map(keys.map((key) => [JSON.stringify(key), key]));
    if (unique.size === 0) return new Set();
    const list = columns.map(quoteIdent).join(', ');
    const missing = new Set(unique.keys());
    const all = [...unique.values()];
    // In slices, so that one statement stays well below the server's packet limit.
    for (let start = 0; start < all.length; start += 1000) {
      const slice = all.slice(start, start + 1000);
      const where =
        columns.length === 1
          ? `${list} IN (?)`
          : `(${list}) IN (${slice.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')})`;
      const params = columns.length === 1 ? [slice.map((k) => k[0])] : slice.flat();
      const rows = await this.database.queryArrays(`SELECT ${list} FROM ${quoteIdent(table)} WHERE ${where}`, params);
      for (const row of rows) missing.delete(JSON.stringify(row));
    }
    return missing;
  }

  async orphanCount(table: string, columns: string[], parent: string, parentColumns: string[]): Promise<number> {
    const present = columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
    const matches = columns.map((c, i) => `p.${quoteIdent(parentColumns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
    const { rows } = await this.database.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${quoteIdent(table)} AS c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(parent)} AS p WHERE ${matches})`,
    );
    return Number(rows[0]!.n);
  }

  async malformedJsonCount(table: string, columns: string[]): Promise<number> {
    if (columns.length === 0) return 0;
    // JSON_VALID is true for well-formed JSON; a blank value is not.
    const bad = columns.map((c) => `(${quoteIdent(c)} IS NOT NULL AND NOT JSON_VALID(${quoteIdent(c)}))`).join(' OR ');
    const { rows } = await this.database.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(table)} WHERE ${bad}`);
    return Number(rows[0]!.n);
  }

  async columnDefaults(table: string): Promise<Record<string, string | number | boolean>> {
    const defaults: Record<string, string | number | boolean> = {};
    for (const column of (await this.columnMap()).get(table) ?? []) {
      const value = column.default === null ? undefined : mariadbLiteral(column.default);
      if (value !== undefined) defaults[column.name] = value;
    }
    return defaults;
  }

  /** The server's start time: MariaDB's constraints leave nothing to fill. */
  async lastWritten(): Promise<Date> {
    const { rows } = await this.database.query<{ up: number }>("SELECT variable_value AS up FROM information_schema.global_status WHERE variable_name = 'UPTIME'");
    const { rows: now } = await this.database.query<{ t: number }>('SELECT UNIX_TIMESTAMP() AS t');
    return new Date((Number(now[0]!.t) - Number(rows[0]?.up ?? 0)) * 1000);
  }

  async fingerprint(): Promise<string> {
    return this.location;
  }

  close(): Promise<void> {
    return this.database.close();
  }

  private async columnMap(): Promise<Map<string, Column[]>> {
    if (this.columns) return this.columns;
    const { rows } = await this.database.query<{
      table_name: string;
      name: string;
      data_type: string;
      column_type: string;
      comment: string;
      column_default: string | null;
      extra: string;
    }>(
      `SELECT c.table_name, c.column_name AS name, c.data_type, c.column_type, c.column_comment AS comment, c.column_default, c.extra
       FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
       ORDER BY c.table_name, c.ordinal_position`,
    );
    const { rows: keys } = await this.database.query<{ table_name: string; name: string; seq: number }>(
      `SELECT table_name, column_name AS name, seq_in_index AS seq FROM information_schema.statistics
       WHERE table_schema = DATABASE() AND index_name = 'PRIMARY'`,
    );
    const searchable = new Set(rows.filter((r) => r.comment === SEARCH_WORDS_COMMENT).map((r) => r.table_name));
    this.columns = new Map();
    for (const row of rows) {
      // Word tables of full-text search, search-words columns and generated columns are the engine's own.
      if (row.table_name.endsWith('_words') && searchable.has(row.table_name.slice(0, -'_words'.length))) continue;
      if (row.comment === SEARCH_WORDS_COMMENT || /GENERATED/i.test(row.extra)) continue;
      const typeClass = mariadbTypeClass(row.data_type, row.column_type, row.comment);
      const list = this.columns.get(row.table_name) ?? [];
      list.push({
        name: row.name,
        pk: Number(keys.find((k) => k.table_name === row.table_name && k.name === row.name)?.seq ?? 0),
        kind: typeClass === 'timestamp' || typeClass === 'json' ? typeClass : 'other',
        default: row.column_default,
      });
      this.columns.set(row.table_name, list);
    }
    return this.columns;
  }
}

/** How a stored value becomes the domain value (Date, parsed JSON), or undefined when it already is one. */
function decoder(column: Column): ((value: unknown) => unknown) | undefined {
  if (column.kind === 'timestamp') return (v) => (v instanceof Date ? v : new Date(Number(v)));
  if (column.kind === 'json') {
    return (v) => {
      const text = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Left as text: the copy reports it as malformed instead of guessing.
        return text;
      }
    };
  }
  return undefined;
}
