import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { hookEventFields, type HookEvent, type HookEventInput } from '../../domain/hook-outbox.js';
import { claimOrder, HOOK_LOCK_TTL_MS, lockCutoff, type ClaimBatchOptions } from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { HookOutboxRepository } from '../../ports/hook-outbox-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(hookEventFields);
const ALL = codec.columnList;

export class PostgresHookOutboxRepository implements HookOutboxRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async enqueue(input: HookEventInput): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.db.query<{ id: number }>(
      `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.sessionId, input.eventType, JSON.stringify(input.payload), now, input.nextAttemptAt ?? now],
    );
    return rows[0]!.id;
  }

  async get(id: number): Promise<HookEvent | null> {
    const { rows } = await this.db.query(`SELECT ${ALL} FROM hook_outbox WHERE id = $1`, [id]);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  async claimBatch(options: ClaimBatchOptions): Promise<HookEvent[]> {
    const now = this.clock.now();
    // SKIP LOCKED: concurrent claimers take disjoint rows instead of queueing on each other's
    // row locks; a row another claimer committed meanwhile is re-checked against the WHERE
    // (READ COMMITTED re-evaluation) and dropped. RETURNING has no defined order, hence the sort.
    const { rows } = await this.db.query(
      `UPDATE hook_outbox SET locked_at = $1
       WHERE id IN (SELECT id FROM hook_outbox
                    WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND (locked_at IS NULL OR locked_at < $2)
                    ORDER BY created_at, id LIMIT $3
                    FOR UPDATE SKIP LOCKED)
       RETURNING ${ALL}`,
      [now, lockCutoff(now, options.lockTtlMs ?? HOOK_LOCK_TTL_MS), options.limit],
    );
    return rows.map((row) => codec.fromRow(row)).sort(claimOrder);
  }

  async markDelivered(id: number, error?: string): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE hook_outbox SET last_error = CASE WHEN delivered_at IS NULL THEN $3::text ELSE last_error END,
         delivered_at = COALESCE(delivered_at, $1), locked_at = NULL WHERE id = $2`,
      [this.clock.now(), id, error ?? null],
    );
    if (rowCount === 0) throw new NotFoundError('hook event', id);
  }

  async markFailed(id: number, error: string, nextAttemptAt: Date): Promise<void> {
    // One statement that also reports why nothing changed (missing, or delivered).
    const { rows } = await this.db.query<{ updated: boolean }>(
      `WITH updated AS (
         UPDATE hook_outbox SET attempt_count = attempt_count + 1, last_error = $1, next_attempt_at = $2, locked_at = NULL
         WHERE id = $3 AND delivered_at IS NULL RETURNING id)
       SELECT EXISTS (SELECT 1 FROM updated) AS updated FROM hook_outbox WHERE id = $3`,
      [error, nextAttemptAt, id],
    );
    if (rows.length === 0) throw new NotFoundError('hook event', id);
    if (!rows[0]!.updated) throw new ConflictError(`hook event ${id} is already delivered`);
  }

  async purgeDelivered(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM hook_outbox WHERE delivered_at < $1', [
      new Date(this.clock.now().getTime() - olderThanMs),
    ]);
    return rowCount ?? 0;
  }
}
