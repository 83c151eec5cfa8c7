/** A table as the database holds it, before any mapping onto this package's schema. */
export interface SourceTable {
  name: string;
  /** Column names in declaration order (generated columns such as search vectors left out). */
  columns: string[];
}

/**
 * Reads whole tables of any database (this package's on either engine, or the older
 * daemon's SQLite file) for tools such as `copy`, without writing to it: an SQLite
 * file is opened read-only, and a copy's source is read as one snapshot (as of the
 * first read); on PostgreSQL each statement sees what is committed when it starts. Rows come as the
 * driver returns them (numbers, strings, Dates, parsed JSON, ...); mapping and
 * conversion belong to the caller.
 */
export interface TableReader {
  /** Where the data lives, for humans (password masked). */
  readonly location: string;
  /**
   * True when rows carry Dates, booleans and parsed JSON (PostgreSQL); false when they
   * carry what SQLite stores (numbers and text, JSON as text).
   */
  readonly decodesValues: boolean;
  /**
   * True when the database guarantees that every row's parent exists (PostgreSQL). SQLite
   * checks foreign keys only on connections that turn them on, so a file may hold orphans.
   */
  readonly enforcesForeignKeys: boolean;
  /**
   * Every user table with its columns, sorted by name, `schema_migrations` included;
   * engine internals, full-text virtual tables and their shadow tables left out.
   */
  tables(): Promise<SourceTable[]>;
  /** Number of rows of `table`. */
  count(table: string): Promise<number>;
  /**
   * Every row of `table` as an array of the values of `columns` (in that order), in
   * batches of at most `batchSize`, keyset-paginated in a stable order (rowid or primary
   * key), so memory holds one batch whatever the table size.
   */
  rows(table: string, columns: string[], batchSize: number): AsyncIterable<unknown[][]>;
  /**
   * Which of `keys` (each the values of `columns`, in order) have no row in `table`: the
   * result holds `JSON.stringify(key)` of every key not found (empty when all exist);
   * keys are compared as the engine compares the stored values.
   */
  missingKeys(table: string, columns: string[], keys: unknown[][]): Promise<Set<string>>;
  /**
   * How many rows of `table` have `columns` all non-null but no row of `parent` with those
   * values in `parentColumns`: one pass, so a copy knows whether a table needs its rows
   * checked against their parents at all.
   */
  orphanCount(table: string, columns: string[], parent: string, parentColumns: string[]): Promise<number>;
  /**
   * How many rows of `table` hold a value in one of `columns` that is not well-formed JSON
   * text (NULL aside; a blank value counts as malformed), in one pass: when there are
   * none, a copy can pass the JSON on as text instead of parsing every value.
   */
  malformedJsonCount(table: string, columns: string[]): Promise<number>;
  /**
   * Constant defaults of the columns of `table` as plain values (`'{}'` -> '{}', `0` -> 0,
   * `false` -> false). Columns without a default or with an expression default (now(),
   * CURRENT_TIMESTAMP) are absent.
   */
  columnDefaults(table: string): Promise<Record<string, string | number | boolean>>;
  /**
   * A stable stand-in for timestamps the data lacks, so repeated reads convert the same
   * way: SQLite, the file's modification time (when it was last written); PostgreSQL,
   * whose constraints leave nothing to fill, the server's start time.
   */
  lastWritten(): Promise<Date>;
  /**
   * A label of the data as it is now, by which a resumed copy recognises its source:
   * SQLite, the file's path and when it (or its WAL) was last written; PostgreSQL, where
   * the database is (a change to its rows cannot be seen cheaply).
   */
  fingerprint(): Promise<string>;
  /** Closes the connection. Idempotent. */
  close(): Promise<void>;
}
