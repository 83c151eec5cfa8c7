import { existsSync, statSync } from 'node:fs';
import type { SourceTable, TableReader } from '../../ports/table-reader.js';
import { UnavailableError } from '../../domain/errors.js';
import { openSqlite, quoteIdent as quote, translateSqliteError, type SqliteDb } from './sqlite-database.js';
import { sqliteDataTables } from './sqlite-inspector.js';

/** `'{}'` -> '{}', `0` -> 0, `'80x24'` -> '80x24'; expressions (CURRENT_TIMESTAMP, (x)) -> undefined. */
export function sqlLiteral(text: string | null): string | number | boolean | undefined {
  if (text === null) return undefined;
  const literal = text.trim();
  const quoted = /^'((?:[^']|'')*)'$/.exec(literal);
  if (quoted) return quoted[1]!.replace(/''/g, "'");
  if (/^[+-]?\d+(\.\d+)?$/.test(literal)) return Number(literal);
  if (/^(true|false)$/i.test(literal)) return literal.toLowerCase() === 'true';
  return undefined;
}

/**
 * When the file was last written: its modification time, or its WAL's when that is
 * later and holds frames (committed writes may still sit there, and readers see them).
 * An empty WAL holds no write: a read-only reader that found none creates an empty one.
 */
function lastWriteOf(path: string): Date {
  // As Node's stat().mtime has it, so a time set back with utimes(stat().mtime) reads the same.
  const ms = (file: string) => Math.trunc(statSync(file).mtimeMs);
  let main: number;
  try {
    main = ms(path);
  } catch (error) {
    throw new UnavailableError(`cannot open SQLite database ${path}: ${(error as Error).message}`, { cause: error });
  }
  const wal = `${path}-wal`;
  const walTime = existsSync(wal) && statSync(wal).size > 0 ? ms(wal) : 0;
  return new Date(Math.max(main, walTime));
}

/**
 * Reads an SQLite file (this package's or the older daemon's) through a read-only
 * connection: nothing it does can write to the file. With `snapshot`, every read
 * happens in one read transaction, so the reader sees the file as it was at its first
 * read, whatever a process that starts writing meanwhile does (like pg_dump's single
 * snapshot): for a copy's source, not for a database the caller itself is writing.
 */
export class SqliteTableReader implements TableReader {
  readonly decodesValues = false;
  readonly enforcesForeignKeys = false;
  private readonly db: SqliteDb;
  private keys = new Map<string, string[]>();
  private readonly written: Date;

  constructor(
    readonly location: string,
    options: { snapshot?: boolean } = {},
  ) {
    // Taken before the file is opened: a read-only open of a WAL file creates its -wal.
    this.written = lastWriteOf(location);
    this.db = openSqlite({ path: location, readonly: true });
    // Deferred: the snapshot is taken by the first read.
    if (options.snapshot) this.db.exec('BEGIN');
  }

  async tables(): Promise<SourceTable[]> {
    return sqliteDataTables(this.db).map((name) => ({ name, columns: this.columnInfo(name).map((c) => c.name) }));
  }

  async count(table: string): Promise<number> {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${quote(table)}`).get() as { n: number }).n;
  }

  async *rows(table: string, columns: string[], batchSize: number): AsyncIterable<unknown[][]> {
    const key = this.keyOf(table);
    const keyList = key.map(quote).join(', ');
    // The key columns ride along at the end of each row and are cut off before yielding.
    const select = `SELECT ${[...columns, ...key].map(quote).join(', ')} FROM ${quote(table)}`;
    const first = this.db.prepare(`${select} ORDER BY ${keyList} LIMIT ?`).raw(true);
    const next = this.db.prepare(`${select} WHERE (${keyList}) > (${key.map(() => '?').join(', ')}) ORDER BY ${keyList} LIMIT ?`).raw(true);
    let last: unknown[] | null = null;
    for (;;) {
      let batch: unknown[][];
      try {
        batch = (last ? next.all(...last, batchSize) : first.all(batchSize)) as unknown[][];
      } catch (error) {
        throw translateSqliteError(error);
      }
      if (batch.length === 0) return;
      last = batch[batch.length - 1]!.slice(columns.length);
      for (const row of batch) row.length = columns.length;
      yield batch;
      if (batch.length < batchSize) return;
    }
  }

  async missingKeys(table: string, columns: string[], keys: unknown[][]): Promise<Set<string>> {
    const unique = new Map(keys.map((key) => [JSON.stringify(key), key]));
    const missing = new Set(unique.keys());
    const all = [...unique.values()];
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    // SQLite allows 32766 bound parameters per statement.
    const chunk = Math.max(1, Math.floor(30_000 / columns.length));
    for (let start = 0; start < all.length; start += chunk) {
      const part = all.slice(start, start + chunk);
      const sql = `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} WHERE (${columns.map(quote).join(', ')}) IN (VALUES ${part.map(() => tuple).join(', ')})`;
      for (const row of this.db.prepare(sql).raw(true).all(...part.flat()) as unknown[][]) missing.delete(JSON.stringify(row));
    }
    return missing;
  }

  async orphanCount(table: string, columns: string[], parent: string, parentColumns: string[]): Promise<number> {
    const present = columns.map((c) => `c.${quote(c)} IS NOT NULL`).join(' AND ');
    const matches = columns.map((c, i) => `p.${quote(parentColumns[i]!)} = c.${quote(c)}`).join(' AND ');
    const sql = `SELECT count(*) AS n FROM ${quote(table)} AS c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${quote(parent)} AS p WHERE ${matches})`;
    try {
      return (this.db.prepare(sql).get() as { n: number }).n;
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async malformedJsonCount(table: string, columns: string[]): Promise<number> {
    if (columns.length === 0) return 0;
    // json_valid() with its default flags accepts exactly RFC 8259 JSON, as PostgreSQL does.
    const sql = `SELECT count(*) AS n FROM ${quote(table)} WHERE ${columns.map((c) => `(${quote(c)} IS NOT NULL AND NOT json_valid(${quote(c)}))`).join(' OR ')}`;
    try {
      return (this.db.prepare(sql).get() as { n: number }).n;
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async columnDefaults(table: string): Promise<Record<string, string | number | boolean>> {
    const defaults: Record<string, string | number | boolean> = {};
    for (const column of this.columnInfo(table)) {
      const value = sqlLiteral(column.dflt_value);
      if (value !== undefined) defaults[column.name] = value;
    }
    return defaults;
  }

  async lastWritten(): Promise<Date> {
    return this.written;
  }

  async fingerprint(): Promise<string> {
    return `${this.location}, last written ${(await this.lastWritten()).toISOString()}`;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private columnInfo(table: string): { name: string; pk: number; dflt_value: string | null }[] {
    return this.db.prepare('SELECT name, pk, dflt_value FROM pragma_table_info(?) ORDER BY cid').all(table) as {
      name: string;
      pk: number;
      dflt_value: string | null;
    }[];
  }

  /** rowid (the table's own order) unless the table is WITHOUT ROWID; then its primary key. */
  private keyOf(table: string): string[] {
    let key = this.keys.get(table);
    if (!key) {
      const { sql } = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string };
      const pk = this.columnInfo(table)
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      key = /WITHOUT\s+ROWID/i.test(sql) && pk.length > 0 ? pk : ['rowid'];
      this.keys.set(table, key);
    }
    return key;
  }
}
