import type { PostgresExecutor } from './postgres-database.js';

export interface GuardedUpdate {
  table: string;
  /** The key column; its value is passed as the parameter after `params`. */
  key: string;
  /** The state column reported when the guard refuses the update. */
  stateColumn: string;
  /** `SET` list using $1..$n for `params`. */
  set: string;
  /** Condition the row must meet besides its key, e.g. `status = 'pending'`. */
  guard: string;
  returning: string;
  params: unknown[];
}

/**
 * Updates one row if it meets the guard, and in the same statement reads its state as it
 * was before, so callers can tell "missing" (NotFoundError) from "not in a state that
 * allows this" (ConflictError) without a second round trip. `previous` is null when the
 * row does not exist; `row` is null when the guard refused the update.
 */
export async function guardedUpdate(
  db: PostgresExecutor,
  update: GuardedUpdate,
  id: unknown,
): Promise<{ row: Record<string, unknown> | null; previous: string | null }> {
  const idParam = `$${update.params.length + 1}`;
  const { rows } = await db.query<Record<string, unknown> & { previous_state: string | null; changed_row: boolean }>(
    `WITH changed AS (
       UPDATE ${update.table} SET ${update.set} WHERE ${update.key} = ${idParam} AND ${update.guard}
       RETURNING ${update.key} AS changed_key, ${update.returning})
     SELECT (SELECT ${update.stateColumn} FROM ${update.table} WHERE ${update.key} = ${idParam}) AS previous_state,
       changed.changed_key IS NOT NULL AS changed_row, changed.*
     FROM (SELECT 1) AS one LEFT JOIN changed ON true`,
    [...update.params, id],
  );
  const result = rows[0]!;
  return { row: result.changed_row ? result : null, previous: result.previous_state };
}
