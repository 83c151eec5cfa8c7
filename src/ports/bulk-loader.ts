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
  /** Moves the identity/autoincrement counter of `table` past max(`column`), so new rows never collide. */
  resetIdentity(table: string, column: string): Promise<void>;
}
