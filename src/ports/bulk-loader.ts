/**
 * The journal table in which `load(..., { journal: true })` records finished tables.
 * It is created on demand and is not part of the migrations: tools drop it when done.
 */
export const COPY_JOURNAL_TABLE = 'copy_progress';
/** Where `suspendForeignKeys` records the foreign keys it dropped, until `restoreForeignKeys`. */
export const COPY_SUSPENDED_KEYS_TABLE = 'copy_progress_foreign_keys';
/** Tables of a copy's own bookkeeping: never copied, never counted as data. */
export function isCopyBookkeeping(table: string): boolean {
  return table === COPY_JOURNAL_TABLE || table === COPY_SUSPENDED_KEYS_TABLE;
}

/**
 * A JSON value still in its text form, as an SQLite source stores it: a bulk loader
 * stores it without the parse and re-serialisation a parsed value costs, and refuses a
 * load whose text is not well-formed JSON (nothing of that table is written).
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Why the target refused one row of a load: the engine's own message, and the column when it names one. */
export interface Refusal {
  reason: string;
  column?: string;
}

/** Options of `BulkLoader.load`. */
export interface LoadOptions {
  replace?: boolean;
  journal?: boolean;
  source?: string;
  onBatch?: (rowsSoFar: number) => void;
  /**
   * Set to go on past rows the target refuses: each such row is left out and handed here
   * with the engine's reason (a CHECK, NOT NULL, UNIQUE or foreign-key violation, a value
   * out of range, text the engine cannot store, ...), and the load continues. Unset, the
   * first refused row fails the whole load.
   */
  onRefused?: (row: unknown[], refusal: Refusal) => void;
}

/**
 * Fast whole-table writes for tools that move many rows at once (`seed`, `copy`), below
 * the repositories: rows are arrays of domain values (Date, boolean, parsed JSON
 * or JsonText, number, string, null) in the order of `columns` (snake_case column names; values past
 * them are ignored, so a caller may carry its own data along in a row); the adapter
 * encodes them for its engine from the column types of the schema.
 *
 * A loader does not apply the content rule of the repositories (it would refuse a whole
 * table for one row): callers check each row first with `contentProblem` per value
 * (`jsonTextProblem` for JsonText) and `rowSearchProblem` (domain/search.ts), and set
 * aside what the repositories would refuse, so that nothing is loaded that a later write
 * of the same row could not repeat.
 */
export interface BulkLoader {
  /**
   * Writes every batch into `table` inside ONE transaction that commits at the end, so a
   * failure or a killed process leaves the table as it was. With `replace`, the table's
   * rows are deleted first in the same transaction. With `journal`, the table and its row
   * count (and `source`, a label of where the rows came from) are recorded in
   * `COPY_JOURNAL_TABLE` in the same transaction, so the journal lists a table exactly
   * when its rows are committed. Returns the number of rows written.
   * Constraint violations surface as domain errors (ConflictError, ForeignKeyError, ...),
   * unless `onRefused` is set: then only failures that are not about one row (a lost
   * connection, a full disk) fail the load, and the count excludes the refused rows.
   * Isolating refused rows costs nothing while no row is refused.
   */
  load(table: string, columns: string[], batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>, options?: LoadOptions): Promise<number>;
  /**
   * Empties every table in `tables` in ONE transaction, whatever order they are listed in
   * (foreign keys between them are no obstacle). A table that is not listed but
   * references one of them with rows makes it fail with `ForeignKeyError` (SQLite) or
   * refuse the whole statement (PostgreSQL: a TRUNCATE must name every referencing
   * table), leaving everything as it was.
   */
  clear(tables: string[]): Promise<void>;
  /** Moves the identity/autoincrement counter of `table` past max(`column`), so new rows never collide. */
  resetIdentity(table: string, column: string): Promise<void>;
  /** Tables recorded in the journal, with the rows written; empty when there is no journal. */
  journal(): Promise<Map<string, number>>;
  /** The `source` labels recorded in the journal (empty when there is none). */
  journalSources(): Promise<Set<string>>;
  /** Drops the journal table (nothing happens when there is none). */
  dropJournal(): Promise<void>;
  /**
   * Lets whole-table loads into `tables` skip the per-row foreign-key check, for a caller
   * that loads parents before children and only rows whose parents exist (the copier
   * rejects orphans itself): one check per key over the finished tables
   * (`restoreForeignKeys`) is far cheaper than one per row. PostgreSQL drops the foreign
   * keys of `tables`, recording each definition in `COPY_SUSPENDED_KEYS_TABLE` in the same
   * transaction, so another process can restore them after an interruption; calling it
   * again adds to the record. SQLite checks each row in-process against the parent's index
   * at little cost and keeps its keys: nothing is suspended.
   */
  suspendForeignKeys(tables: string[]): Promise<void>;
  /**
   * Re-creates every suspended foreign key, each checked against all existing rows, in ONE
   * transaction, and forgets the record. A row without its parent makes it fail with
   * ForeignKeyError, leaving every key suspended. Returns how many keys were restored (0
   * when none was suspended).
   */
  restoreForeignKeys(): Promise<number>;
}
