import { ForeignKeyError, ValidationError } from '../../domain/errors.js';
import { COPY_JOURNAL_TABLE, COPY_REJECT_FILE_TABLE, COPY_SUSPENDED_KEYS_TABLE, type BulkLoader, type InterruptedCopy, type LoadOptions, type Refusal } from '../../ports/bulk-loader.js';
import { BINARY_HEADER, BINARY_TRAILER, binaryEncoder, BinaryWriter, CopyDataWriter, encodeBinaryBatch, encodeBinaryRows, type BinaryEncode } from './postgres-copy-binary.js';
import { copyText, timestampText, type CopyData } from './postgres-copy-in.js';
import { SEARCH_VECTORS, tsVectorText } from './postgres-fts.js';
import { quoteIdent, type PostgresDatabase, type PostgresExecutor, type PostgresTransaction } from './postgres-database.js';

interface ColumnType {
  /** format_type(), e.g. `timestamp with time zone`. */
  sql: string;
  json: boolean;
  timestamp: boolean;
}

const JOURNAL = quoteIdent(COPY_JOURNAL_TABLE);
const SUSPENDED = quoteIdent(COPY_SUSPENDED_KEYS_TABLE);
const REJECT_FILE = quoteIdent(COPY_REJECT_FILE_TABLE);
/** Serialises the copy's bookkeeping DDL (CREATE TABLE IF NOT EXISTS is not safe against a concurrent creator). */
const BOOKKEEPING_LOCK = `SELECT pg_advisory_xact_lock(hashtext('teleclaude.copy_progress'))`;

type Encode = (value: unknown) => string;

/** How a column's values are written as text: timestamps also from epoch ms or date text, vectors from their lexemes. */
function encoder(type: ColumnType): Encode {
  if (type.sql === 'tsvector') return (v) => copyText(Array.isArray(v) ? tsVectorText(v as string[]) : v, false);
  if (!type.timestamp) return (v) => copyText(v, type.json);
  return (v) => {
    if (v === null || v === undefined) return '\\N';
    return timestampText(v instanceof Date ? v.getTime() : typeof v === 'number' ? v : new Date(v as string).getTime());
  };
}

/** One batch as COPY text: a line per row, tab-separated values. */
function encodeBatch(batch: unknown[][], encoders: Encode[]): string {
  let text = '';
  for (const row of batch) {
    text += encoders[0]!(row[0]);
    for (let i = 1; i < encoders.length; i++) text += '\t' + encoders[i]!(row[i]);
    text += '\n';
  }
  return text;
}

/**
 * Into an empty table, drops its indexes and returns the statements that re-create them,
 * to run once the rows are in: one sorted build is several times faster than maintaining
 * a btree or GIN index row by row (pgloader does the same). With `unique`, the primary
 * key, unique constraints and unique indexes go too (those no foreign key depends on):
 * their re-creation then checks every row at once, and a duplicate fails the load as a
 * duplicate row would have mid-stream. Without it (rows isolated one refusal at a time,
 * which needs each COPY checked as it goes) they stay. All of it happens inside the
 * load's transaction, so a failure leaves every index and constraint in place.
 */
async function deferIndexes(client: PostgresExecutor, table: string, unique: boolean): Promise<string[]> {
  const empty = await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${quoteIdent(table)}) AS empty`);
  if (!empty.rows[0]!.empty) return [];
  // Constraints (primary key, unique) first: an index may be built for a constraint only
  // once; then unique indexes that back no constraint, then plain ones.
  const { rows } = await client.query<{ name: string; definition: string; kind: 'constraint' | 'index' }>(
    `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition, 'constraint' AS kind, 0 AS sort
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE $2 AND t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = c.conindid AND d.classid = 'pg_constraint'::regclass AND d.deptype = 'n')
     UNION ALL
     SELECT i.relname, pg_get_indexdef(x.indexrelid), 'index', CASE WHEN x.indisunique THEN 1 ELSE 2 END
     FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
     WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND ($2 OR NOT x.indisunique)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid)
     ORDER BY sort, name`,
    [table, unique],
  );
  if (rows.length === 0) return [];
  for (const { name, kind } of rows) {
    await client.query(kind === 'constraint' ? `ALTER TABLE ${quoteIdent(table)} DROP CONSTRAINT ${quoteIdent(name)}` : `DROP INDEX ${quoteIdent(name)}`);
  }
  await client.query("SET LOCAL maintenance_work_mem = '128MB'");
  return rows.map((r) => (r.kind === 'constraint' ? `ALTER TABLE ${quoteIdent(table)} ADD CONSTRAINT ${quoteIdent(r.name)} ${r.definition}` : r.definition));
}

/**
 * Below this many rows a table's deferred indexes are built without parallel workers. On
 * the copy bench's 2-core machine, with every table under 1M rows, builds without them
 * made the whole copy of the 1M-row fixture 15-25% faster (8 of 8 alternating pairs:
 * 8.1-10.8 s against 9.6-12.1 s). On a bigger table a build takes long enough for the
 * workers' start-up not to matter, and a server with cores to spare gains from them.
 */
export const PARALLEL_BUILD_ROWS = 1_000_000;

/**
 * Rows gathered into one COPY under one savepoint when refused rows are isolated: at most
 * SEGMENT_ROWS, and at most SEGMENT_BATCHES of the caller's batches (a caller that reads
 * wide rows in small batches keeps its segments as small).
 */
const SEGMENT_ROWS = 5000;
const SEGMENT_BATCHES = 5;

/**
 * Whether `error` refuses the rows of one COPY for what they hold rather than for the
 * state of the server: data exceptions (22: out of range, invalid text, NUL), integrity
 * violations (23: NOT NULL, UNIQUE, CHECK, foreign key), program limits (54: a value too
 * big for an index), or a value this process could not encode (ValidationError).
 */
export function postgresRefusal(error: unknown, table: string, columns: string[]): Refusal | null {
  // The transaction translates server errors into domain errors; the server's own is the cause.
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') error = cause;
  if (error instanceof ValidationError) {
    const column = error.field.startsWith(`${table}.`) ? error.field.slice(table.length + 1) : undefined;
    return column && columns.includes(column) ? { reason: error.message, column } : { reason: error.message };
  }
  const e = error as { code?: unknown; message?: string; detail?: string; column?: string; constraint?: string; where?: string };
  if (typeof e.code !== 'string' || !/^(22|23|54)/.test(e.code)) return null;
  const reason = `${e.message ?? 'refused'}${e.detail ? ` (${e.detail})` : ''}`;
  const candidates = [
    e.column,
    /\bcolumn (\w+)/.exec(e.where ?? '')?.[1],
    /^Key \((\w+)/.exec(e.detail ?? '')?.[1],
    e.constraint?.startsWith(`${table}_`) ? e.constraint.slice(table.length + 1).replace(/_(check|key|fkey|not_null)$/, '') : undefined,
  ];
  const column = candidates.find((c) => c !== undefined && columns.includes(c));
  return column ? { reason, column } : { reason };
}

/**
 * Rows stream into the table through COPY FROM STDIN (text format), batch by batch as
 * the source yields them, inside one transaction: several times faster than INSERT
 * statements, with memory bounded by one batch.
 */
export class PostgresBulkLoader implements BulkLoader {
  private readonly types = new Map<string, Map<string, ColumnType>>();
  private journalReady: Promise<void> | null = null;

  constructor(private readonly database: PostgresDatabase) {}

  async load(
    table: string,
    columns: string[],
    batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
    options: LoadOptions = {},
  ): Promise<number> {
    const vector = await this.searchVector(table, columns);
    const copyColumns = vector ? [...columns, 'search_vector'] : columns;
    const types = await this.columnTypes(table, copyColumns);
    // The binary format when every column type has a writer (all of this package's do).
    const binary = types.map((type, i) => binaryEncoder(type.sql, `${table}.${copyColumns[i]}`));
    const encoders = binary.every((e) => e !== null) ? (binary as BinaryEncode[]) : null;
    const textEncoders = types.map(encoder);
    if (options.journal) await (this.journalReady ??= this.createJournal());
    let written = 0;
    async function* chunks(): AsyncIterable<string | Buffer | CopyData> {
      const out = encoders ? new CopyDataWriter() : null;
      if (out) yield BINARY_HEADER;
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        const rows = vector ? batch.map(vector) : batch;
        if (out) yield* encodeBinaryRows(rows, encoders!, out);
        else yield encodeBatch(rows, textEncoders);
        written += batch.length;
        options.onBatch?.(written);
      }
      if (out) yield BINARY_TRAILER;
    }
    const statement = `COPY ${quoteIdent(table)} (${copyColumns.map(quoteIdent).join(', ')}) FROM STDIN${encoders ? ' (FORMAT binary)' : ''}`;
    return this.database.transaction(async (tx) => {
      // One COPY may run for minutes on a big table; the pool's statement_timeout is for daemon queries.
      await tx.query('SET LOCAL statement_timeout = 0');
      if (options.replace) await tx.query(`DELETE FROM ${quoteIdent(table)}`);
      const deferred = await deferIndexes(tx, table, !options.onRefused);
      if (options.onRefused) {
        const encode = (rows: unknown[][]): (string | Buffer)[] => {
          const withVector = vector ? rows.map(vector) : rows;
          if (!encoders) return [encodeBatch(withVector, textEncoders)];
          return [BINARY_HEADER, encodeBinaryBatch(withVector, encoders, new BinaryWriter(64 * 1024)), BINARY_TRAILER];
        };
        written = await isolateRefused(tx, statement, batches, encode, (error) => postgresRefusal(error, table, columns), options);
      } else {
        await tx.copyFrom(statement, chunks());
      }
      // The copy loads two tables at once, each building its indexes beside the other's
      // stream: parallel workers on top of that start two more processes per index build,
      // whose start-up costs more than they save on a table of this size (see PARALLEL_BUILD_ROWS).
      if (deferred.length > 0 && written < PARALLEL_BUILD_ROWS) await tx.query('SET LOCAL max_parallel_maintenance_workers = 0');
      for (const definition of deferred) await tx.query(definition);
      if (options.journal) await record(tx, table, written, options.source ?? null);
      return written;
    });
  }

  async clear(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    // One TRUNCATE: a DELETE would check every deleted parent row against its (empty but
    // not yet vacuumed) child tables, which is quadratic for large seeds.
    try {
      await this.database.query(`TRUNCATE ${tables.map(quoteIdent).join(', ')}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '0A000') throw error;
      throw new ForeignKeyError(`cannot empty ${tables.join(', ')}: ${(error as Error).message}`, { cause: error });
    }
  }

  async resetIdentity(table: string, column: string): Promise<void> {
    await this.database.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quoteIdent(column)}) FROM ${quoteIdent(table)}), 0) + 1, false)`,
      [quoteIdent(table), column],
    );
  }

  private async createJournal(): Promise<void> {
    await this.database.transaction(async (tx) => {
      await tx.query(BOOKKEEPING_LOCK);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${JOURNAL} (table_name text PRIMARY KEY, row_count bigint NOT NULL, source text)`);
      // A journal left by an earlier version has no source column.
      await tx.query(`ALTER TABLE ${JOURNAL} ADD COLUMN IF NOT EXISTS source text`);
    });
  }

  async journal(): Promise<Map<string, number>> {
    if (!(await exists(this.database, JOURNAL))) return new Map();
    const { rows } = await this.database.query<{ table_name: string; row_count: number }>(`SELECT table_name, row_count FROM ${JOURNAL}`);
    return new Map(rows.map((r) => [r.table_name, r.row_count]));
  }

  async journalSources(): Promise<Set<string>> {
    if (!(await exists(this.database, JOURNAL))) return new Set();
    // to_jsonb(j) reads the column when a journal of an earlier version lacks it.
    const { rows } = await this.database.query<{ source: string }>(
      `SELECT DISTINCT to_jsonb(j) ->> 'source' AS source FROM ${JOURNAL} j WHERE to_jsonb(j) ->> 'source' IS NOT NULL`,
    );
    return new Set(rows.map((r) => r.source));
  }

  async dropJournal(): Promise<void> {
    this.journalReady = null;
    await this.database.query(`DROP TABLE IF EXISTS ${JOURNAL}, ${REJECT_FILE}`);
  }

  async recordRejectFile(path: string): Promise<void> {
    await this.database.transaction(async (tx) => {
      await tx.query(BOOKKEEPING_LOCK);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${REJECT_FILE} (path text NOT NULL)`);
      await tx.query(`DELETE FROM ${REJECT_FILE}`);
      await tx.query(`INSERT INTO ${REJECT_FILE} (path) VALUES ($1)`, [path]);
    });
  }

  async recordedRejectFile(): Promise<string | null> {
    if (!(await exists(this.database, REJECT_FILE))) return null;
    const { rows } = await this.database.query<{ path: string }>(`SELECT path FROM ${REJECT_FILE}`);
    return rows[0]?.path ?? null;
  }

  async suspendForeignKeys(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    await this.database.transaction(async (tx) => {
      await tx.query(BOOKKEEPING_LOCK);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${SUSPENDED} (table_name text NOT NULL, name text NOT NULL, definition text NOT NULL, PRIMARY KEY (table_name, name))`,
      );
      const { rows } = await tx.query<{ table_name: string; name: string; definition: string }>(
        `SELECT t.relname AS table_name, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1::text[])
         ORDER BY 1, 2`,
        [tables],
      );
      for (const key of rows) {
        await tx.query(`INSERT INTO ${SUSPENDED} (table_name, name, definition) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
          key.table_name,
          key.name,
          key.definition,
        ]);
        await tx.query(`ALTER TABLE ${quoteIdent(key.table_name)} DROP CONSTRAINT ${quoteIdent(key.name)}`);
      }
    });
  }

  async restoreForeignKeys(): Promise<number> {
    return this.database.transaction(async (tx) => {
      await tx.query(BOOKKEEPING_LOCK);
      if (!(await exists(tx, SUSPENDED))) return 0;
      // Each key is checked in one pass over its table, which may take a while on a big one.
      await tx.query('SET LOCAL statement_timeout = 0');
      const { rows } = await tx.query<{ table_name: string; name: string; definition: string }>(
        `SELECT table_name, name, definition FROM ${SUSPENDED} ORDER BY table_name, name`,
      );
      for (const key of rows) await tx.query(`ALTER TABLE ${quoteIdent(key.table_name)} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition}`);
      await tx.query(`DROP TABLE ${SUSPENDED}`);
      return rows.length;
    });
  }

  async interruptedCopy(): Promise<InterruptedCopy | null> {
    const suspended = (await exists(this.database, SUSPENDED))
      ? (await this.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SUSPENDED}`)).rows[0]!.n
      : -1;
    if (suspended < 0 && !(await exists(this.database, JOURNAL))) return null;
    return { tables: (await this.journal()).size, sources: [...(await this.journalSources())], suspendedKeys: Math.max(suspended, 0) };
  }

  /**
   * For a table with a search vector the caller does not supply: a function that appends
   * the row's vector, computed in JavaScript (see SEARCH_VECTORS), to a copy of the row.
   */
  private async searchVector(table: string, columns: string[]): Promise<((row: unknown[]) => unknown[]) | null> {
    const derive = SEARCH_VECTORS[table];
    if (!derive || columns.includes('search_vector')) return null;
    await this.columnTypes(table, []);
    if (!this.types.get(table)?.has('search_vector')) return null;
    const index = new Map(columns.map((c, i) => [c, i]));
    return (row) => {
      const value = (name: string) => {
        const i = index.get(name);
        return i === undefined ? undefined : row[i];
      };
      const out = row.slice(0, columns.length);
      out.push(derive(value));
      return out;
    };
  }

  private async columnTypes(table: string, columns: string[]): Promise<ColumnType[]> {
    let types = this.types.get(table);
    if (!types) {
      const { rows } = await this.database.query<{ name: string; type: string }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
        [table],
      );
      if (rows.length === 0) throw new TypeError(`unknown table ${table}`);
      types = new Map(
        rows.map((r) => [r.name, { sql: r.type, json: r.type === 'jsonb' || r.type === 'json', timestamp: r.type.startsWith('timestamp') }]),
      );
      this.types.set(table, types);
    }
    return columns.map((c) => {
      const type = types.get(c);
      if (!type) throw new TypeError(`unknown column ${table}.${c}`);
      return type;
    });
  }
}

/**
 * Loads `batches` through one COPY per segment, each under a savepoint. A segment the
 * server (or the encoder) refuses for what its rows hold is rolled back to its savepoint
 * and split in halves until the refused rows stand alone; each goes to `onRefused` and the
 * rest is written. Only a refused segment costs extra COPYs: about 2·log2(segment) per
 * refused row.
 */
async function isolateRefused(
  tx: PostgresTransaction,
  copySql: string,
  batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
  encode: (rows: unknown[][]) => (string | Buffer)[],
  refusal: (error: unknown) => Refusal | null,
  options: LoadOptions,
): Promise<number> {
  let written = 0;
  const attempt = async (rows: unknown[][]): Promise<Refusal | null> => {
    await tx.query('SAVEPOINT tc_copy_rows');
    try {
      const chunks = encode(rows);
      await tx.copyFrom(
        copySql,
        (async function* () {
          yield* chunks;
        })(),
      );
      await tx.query('RELEASE SAVEPOINT tc_copy_rows');
      return null;
    } catch (error) {
      const refused = refusal(error);
      if (!refused) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT tc_copy_rows');
      await tx.query('RELEASE SAVEPOINT tc_copy_rows');
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
  // The next segment is read and converted while the server takes the previous one.
  let inFlight: Promise<void> = Promise.resolve();
  let failed = false;
  const send = (rows: unknown[][]) => {
    inFlight = inFlight.then(async () => {
      await isolate(rows);
      options.onBatch?.(written);
    });
    inFlight.catch(() => (failed = true));
  };
  let segment: unknown[][] = [];
  let gathered = 0;
  for await (const batch of batches) {
    for (const row of batch) segment.push(row);
    if (segment.length >= SEGMENT_ROWS || ++gathered >= SEGMENT_BATCHES) {
      await inFlight;
      send(segment);
      segment = [];
      gathered = 0;
    }
    if (failed) break;
  }
  if (segment.length > 0) send(segment);
  await inFlight;
  return written;
}

/** Whether the table `quoted` (an identifier as quoteIdent writes it) exists on the search path. */
async function exists(executor: PostgresExecutor, quoted: string): Promise<boolean> {
  const { rows } = await executor.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [quoted]);
  return rows[0]!.present;
}

async function record(tx: PostgresExecutor, table: string, rows: number, source: string | null): Promise<void> {
  await tx.query(
    `INSERT INTO ${JOURNAL} (table_name, row_count, source) VALUES ($1, $2, $3)
     ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count, source = excluded.source`,
    [table, rows, source],
  );
}
