import type { SqliteExecutor } from './sqlite-database.js';

/**
 * How many index entries past the batch's size a claim reads in claim order before it
 * looks for the due rows another way (see claimOutboxRows).
 */
export const CLAIM_HEAD_SCAN = 200;

/** The statements of one outbox's batch claim (see outboxClaimStatements). */
export interface OutboxClaimStatements {
  /** Claims the @limit oldest claimable rows among the first @scan open rows in claim order. */
  readonly claimHead: string;
  /** How many open rows there are, counting up to @scan. */
  readonly countHead: string;
  /** Claims the @limit oldest claimable rows, found however SQLite chooses. */
  readonly claimDue: string;
}

/**
 * The claim of an outbox whose claim-order index `index` is on (created_at, id) over its
 * `open` rows (the index's own WHERE), where a row is claimable when it is open, due
 * (next_attempt_at <= @now) and no live lock holds it. Each claim statement returns the
 * claimed rows' `columns`, then their new claim_token.
 */
export function outboxClaimStatements(table: string, index: string, open: string, columns: string): OutboxClaimStatements {
  const claimable = `next_attempt_at <= @now AND (locked_at IS NULL OR locked_at < @cutoff AND (lock_expires_at IS NULL OR lock_expires_at < @now))`;
  const head = `SELECT id, created_at, ${claimable} AS claimable FROM ${table} INDEXED BY ${index} WHERE ${open} ORDER BY created_at, id LIMIT @scan`;
  const claim = (ids: string) => `UPDATE ${table} SET locked_at = @now, lock_expires_at = NULL, claim_token = lower(hex(randomblob(16)))
    WHERE id IN (${ids}) RETURNING ${columns}, claim_token`;
  return {
    claimHead: claim(`SELECT id FROM (${head}) WHERE claimable ORDER BY created_at, id LIMIT @limit`),
    countHead: `SELECT count(*) FROM (SELECT 1 FROM ${table} INDEXED BY ${index} WHERE ${open} LIMIT @scan)`,
    claimDue: claim(`SELECT id FROM ${table} WHERE ${open} AND ${claimable} ORDER BY created_at, id LIMIT @limit`),
  };
}

/**
 * Claims the `limit` oldest claimable rows of an outbox (call it inside an IMMEDIATE
 * transaction): their columns then their new claim_token, in no defined order.
 *
 * The oldest open rows are read in claim order first, through the claim-order index, and
 * the read stops `CLAIM_HEAD_SCAN` rows past the batch: SQLite's own choice for a single
 * statement (the index on next_attempt_at, then a sort of every due row) cost about 5 ms
 * per claim with 20,000 rows due, against 30 µs this way. Rows that wait for a retry or
 * are held by another claim stay in that index; when they keep a full batch out of the
 * rows read, the rest of the batch is looked up the other way, which is quick when few
 * rows are due (the rows already claimed are older than any it can find).
 */
export function claimOutboxRows(
  db: SqliteExecutor,
  statements: OutboxClaimStatements,
  now: number,
  cutoff: number,
  limit: number,
): unknown[][] {
  const scan = limit + CLAIM_HEAD_SCAN;
  const rows = db.prepareRaw(statements.claimHead).all({ now, cutoff, scan, limit }) as unknown[][];
  if (rows.length === limit) return rows;
  // Fewer: either every open row was read, or more due rows may lie past the ones read.
  if ((db.prepareRaw(statements.countHead).get({ scan }) as [number])[0] < scan) return rows;
  return rows.concat(db.prepareRaw(statements.claimDue).all({ now, cutoff, limit: limit - rows.length }) as unknown[][]);
}
