import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { postgresQueueStats } from './postgres-queue-stats.js';
import type { QueueStats } from '../../domain/work-queue.js';
import { hookEventFields, type HookEvent, type HookEventInput } from '../../domain/hook-outbox.js';
import {
  claimOrder,
  HOOK_LOCK_TTL_MS,
  lockCutoff,
  notHeldMessage,
  type ClaimBatchOptions,
  type Claimed,
  type RedriveOptions,
} from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { HookOutboxRepository } from '../../ports/hook-outbox-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { NOTIFY_WORK } from './postgres-notifier.js';
import { withFields } from '../../domain/fields.js';

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
       VALUES ($1, $2, $3, $4, $5) RETURNING id, ${NOTIFY_WORK}`,
      [input.sessionId, input.eventType, JSON.stringify(input.payload), now, input.nextAttemptAt ?? now],
    );
    return rows[0]!.id;
  }

  async get(id: number): Promise<HookEvent | null> {
    const { rows } = await this.db.query(`SELECT ${ALL} FROM hook_outbox WHERE id = $1`, [id]);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  async claimBatch(options: ClaimBatchOptions): Promise<Claimed<HookEvent>[]> {
    const now = this.clock.now();
    // SKIP LOCKED: concurrent claimers take disjoint rows instead of queueing on each other's
    // row locks; a row another claimer committed meanwhile is re-checked against the WHERE
    // (READ COMMITTED re-evaluation) and dropped. RETURNING has no defined order, hence the sort.
    const { rows } = await this.db.query(
      `UPDATE hook_outbox SET locked_at = $1, lock_expires_at = NULL, claim_token = gen_random_uuid()::text
       WHERE id IN (SELECT id FROM hook_outbox
                    WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1
                      AND (locked_at IS NULL OR locked_at < $2 AND (lock_expires_at IS NULL OR lock_expires_at < $1))
                    ORDER BY created_at, id LIMIT $3
                    FOR UPDATE SKIP LOCKED)
       RETURNING ${ALL}, claim_token`,
      [now, lockCutoff(now, options.lockTtlMs ?? HOOK_LOCK_TTL_MS), options.limit],
    );
    return rows.map((row) => withFields(codec.fromRow(row), { claimToken: row.claim_token as string })).sort(claimOrder);
  }

  async markDelivered(id: number, token: string, error?: string): Promise<void> {
    await this.markDeliveredMany([{ id, token, error }]);
  }

  async markDeliveredMany(items: { id: number; token: string; error?: string }[]): Promise<void> {
    // One statement: the rows are locked and their tokens checked first, and the update runs
    // only when every token still holds its row, so a stale token changes nothing.
    const { rows } = await this.db.query<{ id: string; missing: boolean; delivered: boolean }>(
      `WITH items AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, token, error)),
       locked AS (SELECT id, claim_token, delivered_at FROM hook_outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE),
       refused AS (SELECT u.id, l.id IS NULL AS missing, l.delivered_at IS NOT NULL AS delivered
                   FROM items u LEFT JOIN locked l ON l.id = u.id WHERE l.claim_token IS DISTINCT FROM u.token),
       updated AS (UPDATE hook_outbox h SET last_error = CASE WHEN h.delivered_at IS NULL THEN u.error ELSE h.last_error END,
                     delivered_at = COALESCE(h.delivered_at, $4), locked_at = NULL, lock_expires_at = NULL
                   FROM items u WHERE h.id = u.id AND NOT EXISTS (SELECT 1 FROM refused))
       SELECT id::text, missing, delivered FROM refused ORDER BY id LIMIT 1`,
      [items.map((i) => i.id), items.map((i) => i.token), items.map((i) => i.error ?? null), this.clock.now()],
    );
    const bad = rows[0];
    if (!bad) return;
    const id = Number(bad.id);
    if (bad.missing) throw new NotFoundError('hook event', id);
    throw new ConflictError(bad.delivered ? `hook event ${id} is already delivered` : notHeldMessage('hook event', id));
  }

  async markFailed(id: number, token: string, error: string, nextAttemptAt: Date, maxAttempts?: number): Promise<'pending' | 'dead_letter'> {
    const dead = await this.guarded(
      id,
      token,
      `attempt_count = attempt_count + 1, last_error = $3, next_attempt_at = $4, locked_at = NULL, lock_expires_at = NULL,
       claim_token = NULL, dead_at = CASE WHEN attempt_count + 1 >= $5::int THEN $6::timestamptz END`,
      [error, nextAttemptAt, maxAttempts ?? null, this.clock.now()],
    );
    return dead ? 'dead_letter' : 'pending';
  }

  async redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const { rowCount } = await this.db.query(
      `UPDATE hook_outbox SET dead_at = NULL, attempt_count = 0, next_attempt_at = $1
       WHERE dead_at IS NOT NULL AND delivered_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [this.clock.now(), ids ?? null],
    );
    return rowCount ?? 0;
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    await this.guarded(id, token, 'locked_at = $3, lock_expires_at = $4', [now, new Date(now.getTime() + ttlMs)]);
  }

  async release(id: number, token: string): Promise<void> {
    await this.guarded(id, token, 'locked_at = NULL, lock_expires_at = NULL, claim_token = NULL', []);
  }

  /**
   * Applies `set` ($3.. for `params`) to an undelivered event held by `token`, or throws why
   * not; returns whether the event is now in the dead letter.
   */
  private async guarded(id: number, token: string, set: string, params: unknown[]): Promise<boolean> {
    // One statement that also reports why nothing changed (missing, delivered, or not held).
    const { rows } = await this.db.query<{ updated: boolean; dead: boolean; delivered: boolean }>(
      `WITH updated AS (
         UPDATE hook_outbox SET ${set} WHERE id = $1 AND claim_token = $2 AND delivered_at IS NULL RETURNING dead_at)
       SELECT EXISTS (SELECT 1 FROM updated) AS updated, EXISTS (SELECT 1 FROM updated WHERE dead_at IS NOT NULL) AS dead,
         delivered_at IS NOT NULL AS delivered FROM hook_outbox WHERE id = $1`,
      [id, token, ...params],
    );
    if (rows.length === 0) throw new NotFoundError('hook event', id);
    if (rows[0]!.updated) return rows[0]!.dead;
    throw new ConflictError(rows[0]!.delivered ? `hook event ${id} is already delivered` : notHeldMessage('hook event', id));
  }

  async purgeDelivered(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM hook_outbox WHERE delivered_at < $1', [
      new Date(this.clock.now().getTime() - olderThanMs),
    ]);
    return rowCount ?? 0;
  }
  stats(): Promise<QueueStats> {
    return postgresQueueStats(this.db, 'hook', this.clock.now(), HOOK_LOCK_TTL_MS);
  }
}
