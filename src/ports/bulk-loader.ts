/**
 * Fast whole-table writes for tools that move many rows at once (`seed`, `copy`), below
 * the repositories: rows are arrays of domain values (Date, boolean, parsed JSON,
 * number, string, null) in the order of `columns` (snake_case column names); the adapter
 * encodes them for its engine from the column types of the schema.
 */
export interface BulkLoader {
  /**
   * Writes every batch into `table` inside ONE transaction that commits at the end, so a
   * failure or a killed process leaves the table as it was. With `replace`, the table's
   * rows are deleted first in the same transaction. Returns the number of rows written.
   * Constraint violations surface as domain errors (ConflictError, ForeignKeyError, ...).
   */
  load(
    table: string,
    columns: string[],
    batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
    options?: { replace?: boolean; onBatch?: (rowsSoFar: number) => void },
  ): Promise<number>;
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
}
