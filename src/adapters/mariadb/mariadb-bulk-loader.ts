import mysql from 'mysql2';
import { ConflictError, ForeignKeyError, TeleclaudeError, ValidationError } from '../../domain/errors.js';
import {
  COPY_JOURNAL_TABLE,
  COPY_REJECT_FILE_TABLE,
  COPY_SUSPENDED_KEYS_TABLE,
  JsonText,
  type BulkLoader,
  type InterruptedCopy,
  type LoadOptions,
  type Refusal,
} from '../../ports/bulk-loader.js';
import { quoteIdent, type MariadbDatabase, type MariadbExecutor } from './mariadb-database.js';
import { SEARCH_WORDS } from './mariadb-fts.js';
import { mariadbTypeClass, SEARCH_WORDS_COMMENT } from './mariadb-inspector.js';

const JOURNAL = quoteIdent(COPY_JOURNAL_TABLE);
const SUSPENDED = quoteIdent(COPY_SUSPENDED_KEYS_TABLE);
const REJECT_FILE = quoteIdent(COPY_REJECT_FILE_TABLE);
const TABLE_OPTIONS = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin';

/** Rows gathered into one INSERT when refused rows are isolated. */
const SEGMENT_ROWS = 5000;
/** An INSERT's text stays below this many bytes (the server's max_allowed_packet is 16 MiB by default). */
const STATEMENT_BYTES = 4 * 1024 * 1024;

interface Column {
  name: string;
  kind: 'timestamp' | 'boolean' | 'json' | 'search' | 'other';
}

type Encode = (value: unknown) => string;

/** A value as an SQL literal (mysql2's escaping; Dates in UTC). */
const literal = (value: unknown): string => mysql.escape(value as mysql.SqlValue, false, 'Z');

/** Column kind -> SQL literal of a domain value, as the repositories store it (instants as epoch ms, JSON as text). */
function encoder(table: string, column: Column): Encode {
  const field = `${table}.${column.name}`;
  switch (column.kind) {
    case 'timestamp':
      return (v) => {
        if (v === null || v === undefined) return 'NULL';
        const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : new Date(v as string).getTime();
        if (!Number.isFinite(ms)) throw new ValidationError(field, `not a timestamp: ${String(v)}`);
        return String(Math.trunc(ms));
      };
    case 'boolean':
      return (v) => (v === null || v === undefined ? 'NULL' : v === true || v === 1 ? '1' : v === false || v === 0 ? '0' : literal(v));
    case 'json':
      return (v) => {
        if (v === null || v === undefined) return 'NULL';
        if (v instanceof JsonText) {
          try {
            JSON.parse(v.text);
          } catch (error) {
            throw new ValidationError(field, `not well-formed JSON (${(error as Error).message})`);
          }
          return mysql.escape(v.text);
        }
        return mysql.escape(JSON.stringify(v));
      };
    default:
      return (v) => (v === undefined ? 'NULL' : literal(v));
  }
}

/**
 * Why MariaDB refused the rows of one INSERT for what they hold (a duplicate key, a
 * missing parent, NULL into NOT NULL, a failed CHECK, a value that does not fit), with
 * the column when it can be told; null for a failure that is not about the rows.
 */
export function mariadbRefusal(error: unknown, table: string, columns: string[], primaryKey: string[]): Refusal | null {
  if (!(error instanceof ValidationError || error instanceof ConflictError || error instanceof ForeignKeyError)) return null;
  const cause = (error as TeleclaudeError).cause as { sqlMessage?: string; message?: string } | undefined;
  const message = cause?.sqlMessage ?? error.message;
  const candidates: (string | undefined)[] = [];
  if (error instanceof ValidationError) candidates.push(error.field.startsWith(`${table}.`) ? error.field.slice(table.length + 1) : error.field);
  candidates.push(/(?:column|field) '([^']+)'/i.exec(message)?.[1]);
  // A column-level CHECK is named after its column: CONSTRAINT `sessions.computer_name` failed;
  // a named one after its table and column, as PostgreSQL names them: `mirror_tombstones_file_mtime_ns_check`.
  const constraint = /CONSTRAINT `(?:[^`.]+\.)?([^`]+)` failed/.exec(message)?.[1];
  candidates.push(constraint, constraint?.startsWith(`${table}_`) ? constraint.slice(table.length + 1).replace(/_(check|key|fkey|not_null)$/, '') : undefined);
  const key = /for key '(?:[^'.]+\.)?([^']+)'/.exec(message)?.[1];
  if (key === 'PRIMARY' && primaryKey.length === 1) candidates.push(primaryKey[0]);
  candidates.push(/FOREIGN KEY \(`([^`]+)`\)/.exec(message)?.[1]);
  const column = candidates.find((c) => c !== undefined && columns.includes(c));
  const reason = error instanceof ValidationError ? error.message : message;
  return column ? { reason, column } : { reason };
}

/**
 * Rows go into the table as multi-row INSERTs (each below STATEMENT_BYTES), batch by
 * batch as the source yields them, inside one transaction on one connection.
 * Foreign-key suspension is MariaDB's `foreign_key_checks = 0` on the loading
 * connection: the keys stay in the schema, the tables suspended are recorded in
 * `COPY_SUSPENDED_KEYS_TABLE` (so that another process can finish), and
 * `restoreForeignKeys` checks every suspended key against all rows before forgetting it.
 */
export class MariadbBulkLoader implements BulkLoader {
  private readonly columnsOf = new Map<string, Map<string, Column>>();
  private readonly primaryKeys = new Map<string, string[]>();

  constructor(private readonly database: MariadbDatabase) {}

  async load(
    table: string,
    columns: string[],
    batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
    options: LoadOptions = {},
  ): Promise<number> {
    const known = await this.columns(table);
    const types = columns.map((c) => {
      const column = known.get(c);
      if (!column) throw new TypeError(`unknown column ${table}.${c}`);
      return column;
    });
    const words = this.searchWords(table, columns, known);
    const insertColumns = words ? [...columns, words.column] : columns;
    const encoders = [...types.map((t) => encoder(table, t)), ...(words ? [literal] : [])];
    const head = `INSERT INTO ${quoteIdent(table)} (${insertColumns.map(quoteIdent).join(', ')}) VALUES `;
    const tuple = (row: unknown[]): string => {
      const full = words ? [...row.slice(0, columns.length), words.derive(row)] : row;
      let text = '(' + encoders[0]!(full[0]);
      for (let i = 1; i < encoders.length; i++) text += ',' + encoders[i]!(full[i]);
      return text + ')';
    };
    if (options.journal) await this.createJournal();
    const suspended = await this.isSuspended(table);
    const primaryKey = this.primaryKeys.get(table) ?? [];

    return this.database.transaction(async (tx) => {
      const restore = await untimed(tx);
      if (suspended) await tx.query('SET SESSION foreign_key_checks = 0');
      try {
        if (options.replace) await tx.query(`DELETE FROM ${quoteIdent(table)}`);
        const written = options.onRefused
          ? await isolateRefused(tx, head, tuple, batches, (error) => mariadbRefusal(error, table, columns, primaryKey), options)
          : await insertAll(tx, head, tuple, batches, options);
        if (options.journal) {
          await tx.query(
            `INSERT INTO ${JOURNAL} (table_name, row_count, source) VALUES (?, ?, ?)
             ON DUPLICATE KEY UPDATE row_count = VALUES(row_count), source = VALUES(source)`,
            [table, written, options.source ?? null],
          );
        }
        return written;
      } finally {
        await tx.query(`SET SESSION foreign_key_checks = 1, ${restore}`).catch(() => {});
      }
    });
  }

  /**
   * Empties the tables (and their full-text word tables) in one transaction with
   * foreign-key checks off, so their order does not matter; then, before committing,
   * refuses (ForeignKeyError, everything rolled back) when a table not listed still
   * references a row that is gone, as PostgreSQL's TRUNCATE refuses an unlisted referencing table.
   */
  async clear(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    const all = await this.allTables();
    const words = tables.map((t) => `${t}_words`).filter((t) => all.has(t));
    const listed = new Set([...tables, ...words]);
    for (const t of tables) if (!all.has(t)) throw new TypeError(`unknown table ${t}`);
    const keys = await this.foreignKeys();
    await this.database.transaction(async (tx) => {
      await tx.query('SET SESSION foreign_key_checks = 0');
      try {
        for (const t of listed) await tx.query(`DELETE FROM ${quoteIdent(t)}`);
        for (const key of keys.filter((k) => !listed.has(k.table) && listed.has(k.references))) {
          if ((await orphans(tx, key)) > 0) {
            throw new ForeignKeyError(`cannot empty ${tables.join(', ')}: ${key.table} references ${key.references} and is not listed`);
          }
        }
      } finally {
        await tx.query('SET SESSION foreign_key_checks = 1').catch(() => {});
      }
    });
  }

  async resetIdentity(table: string, column: string): Promise<void> {
    const { rows } = await this.database.query<{ m: number | null }>(`SELECT MAX(${quoteIdent(column)}) AS m FROM ${quoteIdent(table)}`);
    // InnoDB never sets the counter below max + 1, so this only ever moves it forward.
    await this.database.query(`ALTER TABLE ${quoteIdent(table)} AUTO_INCREMENT = ${Math.max(Number(rows[0]?.m ?? 0), 0) + 1}`);
  }

  /** CREATE TABLE commits on its own in MariaDB, so the journal is created before a load's transaction. */
  private async createJournal(): Promise<void> {
    await this.database.query(
      `CREATE TABLE IF NOT EXISTS ${JOURNAL} (table_name VARCHAR(255) NOT NULL PRIMARY KEY, row_count BIGINT NOT NULL, source LONGTEXT)${TABLE_OPTIONS}`,
    );
  }

  async journal(): Promise<Map<string, number>> {
    if (!(await this.exists(COPY_JOURNAL_TABLE))) return new Map();
    const { rows } = await this.database.query<{ table_name: string; row_count: number }>(`SELECT table_name, row_count FROM ${JOURNAL}`);
    return new Map(rows.map((r) => [r.table_name, Number(r.row_count)]));
  }

  async journalSources(): Promise<Set<string>> {
    if (!(await this.exists(COPY_JOURNAL_TABLE))) return new Set();
    const { rows } = await this.database.query<{ source: string }>(`SELECT DISTINCT source FROM ${JOURNAL} WHERE source IS NOT NULL`);
    return new Set(rows.map((r) => r.source));
  }

  async dropJournal(): Promise<void> {
    await this.database.query(`DROP TABLE IF EXISTS ${JOURNAL}, ${REJECT_FILE}`);
  }

  async recordRejectFile(path: string): Promise<void> {
    await this.database.query(`CREATE TABLE IF NOT EXISTS ${REJECT_FILE} (path LONGTEXT NOT NULL)${TABLE_OPTIONS}`);
    await this.database.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${REJECT_FILE}`);
      await tx.query(`INSERT INTO ${REJECT_FILE} (path) VALUES (?)`, [path]);
    });
  }

  async recordedRejectFile(): Promise<string | null> {
    if (!(await this.exists(COPY_REJECT_FILE_TABLE))) return null;
    const { rows } = await this.database.query<{ path: string }>(`SELECT path FROM ${REJECT_FILE}`);
    return rows[0]?.path ?? null;
  }

  /** Records the foreign keys of `tables` as suspended: loads into these tables then run with foreign_key_checks off. */
  async suspendForeignKeys(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    await this.database.query(
      `CREATE TABLE IF NOT EXISTS ${SUSPENDED} (table_name VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, definition LONGTEXT NOT NULL,
         PRIMARY KEY (table_name, name))${TABLE_OPTIONS}`,
    );
    const wanted = new Set(tables);
    const keys = (await this.foreignKeys()).filter((k) => wanted.has(k.table));
    await this.database.transaction(async (tx) => {
      for (const key of keys) {
        await tx.query(`INSERT IGNORE INTO ${SUSPENDED} (table_name, name, definition) VALUES (?, ?, ?)`, [key.table, key.name, definition(key)]);
      }
    });
  }

  /**
   * Checks every suspended key against all rows (one anti-join per key) and forgets the
   * record; a row without its parent makes it fail with ForeignKeyError, keeping the record.
   */
  async restoreForeignKeys(): Promise<number> {
    if (!(await this.exists(COPY_SUSPENDED_KEYS_TABLE))) return 0;
    const { rows } = await this.database.query<{ table_name: string; name: string }>(`SELECT table_name, name FROM ${SUSPENDED} ORDER BY table_name, name`);
    const keys = await this.foreignKeys();
    await this.database.transaction(async (tx) => {
      const restore = await untimed(tx);
      try {
        for (const row of rows) {
          const key = keys.find((k) => k.table === row.table_name && k.name === row.name);
          if (!key) continue;
          const n = await orphans(tx, key);
          if (n > 0) {
            throw new ForeignKeyError(`foreign key ${key.table}.${key.name} violated: ${n} row(s) of ${key.table} reference a missing ${key.references} row`);
          }
        }
      } finally {
        await tx.query(`SET SESSION ${restore}`).catch(() => {});
      }
    });
    await this.database.query(`DROP TABLE IF EXISTS ${SUSPENDED}`);
    return rows.length;
  }

  async interruptedCopy(): Promise<InterruptedCopy | null> {
    const suspended = (await this.exists(COPY_SUSPENDED_KEYS_TABLE))
      ? Number((await this.database.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${SUSPENDED}`)).rows[0]!.n)
      : -1;
    if (suspended < 0 && !(await this.exists(COPY_JOURNAL_TABLE))) return null;
    return { tables: (await this.journal()).size, sources: [...(await this.journalSources())], suspendedKeys: Math.max(suspended, 0) };
  }

  private async isSuspended(table: string): Promise<boolean> {
    if (!(await this.exists(COPY_SUSPENDED_KEYS_TABLE))) return false;
    const { rows } = await this.database.query(`SELECT 1 FROM ${SUSPENDED} WHERE table_name = ? LIMIT 1`, [table]);
    return rows.length > 0;
  }

  /** For a table with search words the caller does not supply: the column and how a row's value is computed (see SEARCH_WORDS). */
  private searchWords(table: string, columns: string[], known: Map<string, Column>): { column: string; derive: (row: unknown[]) => string } | null {
    const derive = SEARCH_WORDS[table];
    const column = [...known.values()].find((c) => c.kind === 'search')?.name;
    if (!derive || !column || columns.includes(column)) return null;
    const index = new Map(columns.map((c, i) => [c, i]));
    return {
      column,
      derive: (row) =>
        derive((name) => {
          const i = index.get(name);
          return i === undefined ? undefined : row[i];
        }),
    };
  }

  private async columns(table: string): Promise<Map<string, Column>> {
    let columns = this.columnsOf.get(table);
    if (columns) return columns;
    const { rows } = await this.database.query<{ name: string; data_type: string; column_type: string; comment: string; column_key: string }>(
      `SELECT column_name AS name, data_type, column_type, column_comment AS comment, column_key
       FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`,
      [table],
    );
    if (rows.length === 0) throw new TypeError(`unknown table ${table}`);
    columns = new Map(
      rows.map((r) => {
        const typeClass = mariadbTypeClass(r.data_type, r.column_type, r.comment);
        const kind: Column['kind'] =
          r.comment === SEARCH_WORDS_COMMENT ? 'search' : typeClass === 'timestamp' || typeClass === 'boolean' || typeClass === 'json' ? typeClass : 'other';
        return [r.name, { name: r.name, kind }];
      }),
    );
    const { rows: pk } = await this.database.query<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.statistics
       WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index`,
      [table],
    );
    this.primaryKeys.set(table, pk.map((r) => r.name));
    this.columnsOf.set(table, columns);
    return columns;
  }

  private async allTables(): Promise<Set<string>> {
    const { rows } = await this.database.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    );
    return new Set(rows.map((r) => r.name));
  }

  private async exists(table: string): Promise<boolean> {
    const { rows } = await this.database.query('SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [table]);
    return rows.length > 0;
  }

  private foreignKeys(): Promise<ForeignKey[]> {
    return mariadbForeignKeys(this.database);
  }
}

export interface ForeignKey {
  table: string;
  name: string;
  columns: string[];
  references: string;
  referencedColumns: string[];
}

/** Every foreign key of the current database. */
export async function mariadbForeignKeys(db: MariadbExecutor): Promise<ForeignKey[]> {
  const { rows } = await db.query<{ table_name: string; name: string; column_name: string; ref: string; refcol: string }>(
    `SELECT table_name, constraint_name AS name, column_name, referenced_table_name AS ref, referenced_column_name AS refcol
     FROM information_schema.key_column_usage
     WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL ORDER BY table_name, constraint_name, ordinal_position`,
  );
  const keys = new Map<string, ForeignKey>();
  for (const r of rows) {
    const id = `${r.table_name}\u0000${r.name}`;
    const key = keys.get(id) ?? { table: r.table_name, name: r.name, columns: [], references: r.ref, referencedColumns: [] };
    key.columns.push(r.column_name);
    key.referencedColumns.push(r.refcol);
    keys.set(id, key);
  }
  return [...keys.values()];
}

function definition(key: ForeignKey): string {
  return `FOREIGN KEY (${key.columns.map(quoteIdent).join(', ')}) REFERENCES ${quoteIdent(key.references)} (${key.referencedColumns.map(quoteIdent).join(', ')})`;
}

/**
 * Turns the session's statement timeout off (a bulk statement may run long; the pool's
 * timeout is for daemon queries) and returns the assignment that restores it.
 */
async function untimed(tx: MariadbExecutor): Promise<string> {
  const { rows } = await tx.query<{ t: number }>('SELECT @@session.max_statement_time AS t');
  await tx.query('SET SESSION max_statement_time = 0');
  return `max_statement_time = ${Number(rows[0]?.t ?? 0)}`;
}

/** Rows of the key's table whose (non-null) key has no parent row. */
async function orphans(tx: MariadbExecutor, key: ForeignKey): Promise<number> {
  const present = key.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const matches = key.columns.map((c, i) => `p.${quoteIdent(key.referencedColumns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
  const { rows } = await tx.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM ${quoteIdent(key.table)} c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(key.references)} p WHERE ${matches})`,
  );
  return Number(rows[0]!.n);
}

/** Writes every batch as INSERTs of at most STATEMENT_BYTES. */
async function insertAll(
  tx: MariadbExecutor,
  head: string,
  tuple: (row: unknown[]) => string,
  batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
  options: LoadOptions,
): Promise<number> {
  let written = 0;
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    let sql = '';
    for (const row of batch) {
      const values = tuple(row);
      if (sql && sql.length + values.length > STATEMENT_BYTES) {
        await tx.query(sql);
        sql = '';
      }
      sql = sql ? `${sql},${values}` : head + values;
    }
    if (sql) await tx.query(sql);
    written += batch.length;
    options.onBatch?.(written);
  }
  return written;
}

/**
 * Inserts segments of rows; a segment refused for what its rows hold (a statement is
 * atomic in InnoDB, so nothing of it stays) is split in halves until the refused rows
 * stand alone; each goes to `onRefused` and the rest is written.
 */
async function isolateRefused(
  tx: MariadbExecutor,
  head: string,
  tuple: (row: unknown[]) => string,
  batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
  refusal: (error: unknown) => Refusal | null,
  options: LoadOptions,
): Promise<number> {
  let written = 0;
  const attempt = async (rows: unknown[][]): Promise<Refusal | null> => {
    try {
      let sql = '';
      const statements: string[] = [];
      for (const row of rows) {
        const values = tuple(row);
        if (sql && sql.length + values.length > STATEMENT_BYTES) {
          statements.push(sql);
          sql = '';
        }
        sql = sql ? `${sql},${values}` : head + values;
      }
      if (sql) statements.push(sql);
      if (statements.length === 1) {
        await tx.query(statements[0]!);
        return null;
      }
      // Several statements: a savepoint keeps the segment all or nothing.
      return await tx.atomic(async (inner) => {
        for (const statement of statements) await inner.query(statement);
        return null;
      });
    } catch (error) {
      const refused = refusal(error);
      if (!refused) throw error;
      return refused;
    }
  };
  const isolate = async (rows: unknown[][]): Promise<void> => {
    const refused = await attempt(rows);
    if (!refused) {
      written += rows.length;
      return;
    }
    if (rows.length === 1) {
      options.onRefused!(rows[0]!, refused);
      return;
    }
    const half = rows.length >> 1;
    await isolate(rows.slice(0, half));
    await isolate(rows.slice(half));
  };
  let segment: unknown[][] = [];
  for await (const batch of batches) {
    for (const row of batch) segment.push(row);
    if (segment.length >= SEGMENT_ROWS) {
      await isolate(segment);
      options.onBatch?.(written);
      segment = [];
    }
  }
  if (segment.length > 0) {
    await isolate(segment);
    options.onBatch?.(written);
  }
  return written;
}
