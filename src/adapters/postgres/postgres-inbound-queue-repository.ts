import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { postgresQueueStats } from './postgres-queue-stats.js';
import type { QueueStats } from '../../domain/work-queue.js';
import { HOUR, withFields } from '../../domain/fields.js';
import {
  INBOUND_BACKOFF_MS,
  inboundMessageFields,
  type InboundEnqueueInput,
  type InboundMessage,
  type InboundStatus,
} from '../../domain/inbound-queue.js';
import { INBOUND_LOCK_TTL_MS, lockCutoff, notHeldMessage, type Claimed, type RedriveOptions } from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { ClaimNextOptions, InboundQueueRepository, ListPendingOptions } from '../../ports/inbound-queue-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { NOTIFY_WORK } from './postgres-notifier.js';
import { guardedUpdate } from './postgres-guarded-update.js';
import { claimInboundById, claimNextInbound } from './postgres-inbound-claim.js';

const codec = new PostgresCodec(inboundMessageFields);
const ALL = codec.columnList;

export class PostgresInboundQueueRepository implements InboundQueueRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async enqueue(input: InboundEnqueueInput): Promise<number | null> {
    const { columns, params } = codec.toRow(withFields(input as Partial<InboundMessage>, { status: 'pending' as const, createdAt: this.clock.now() }));
    const { rows } = await this.db.query<{ id: number }>(
      `INSERT INTO inbound_queue (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (origin, source_message_id) WHERE source_message_id IS NOT NULL DO NOTHING RETURNING id, ${NOTIFY_WORK}`,
      params,
    );
    return rows[0]?.id ?? null;
  }

  async get(id: number): Promise<InboundMessage | null> {
    const { rows } = await this.db.query(`SELECT ${ALL} FROM inbound_queue WHERE id = $1`, [id]);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  claim(id: number, lockTtlMs = INBOUND_LOCK_TTL_MS): Promise<Claimed<InboundMessage> | null> {
    return claimInboundById(this.db, this.clock.now(), lockTtlMs, id);
  }

  claimNext(options?: ClaimNextOptions): Promise<Claimed<InboundMessage> | null> {
    const { lockTtlMs, sessionId } = options as { lockTtlMs: number; sessionId?: string };
    return claimNextInbound(this.db, this.clock.now(), lockTtlMs, sessionId);
  }

  async markDelivered(id: number, token: string): Promise<void> {
    await this.markDeliveredMany([{ id, token }]);
  }

  async markDeliveredMany(items: { id: number; token: string }[]): Promise<void> {
    // One statement: rows locked and tokens checked first; the update runs only when every
    // token still holds its message (see PostgresHookOutboxRepository.markDeliveredMany).
    const { rows } = await this.db.query<{ id: string; status: InboundStatus | null }>(
      `WITH items AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS u(id, token)),
       locked AS (SELECT id, claim_token, status FROM inbound_queue WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE),
       refused AS (SELECT u.id, l.status FROM items u LEFT JOIN locked l ON l.id = u.id
                   WHERE l.claim_token IS DISTINCT FROM u.token OR l.status = 'expired'),
       updated AS (UPDATE inbound_queue q SET status = 'delivered', processed_at = COALESCE(q.processed_at, $3),
                     locked_at = NULL, lock_expires_at = NULL
                   FROM items u WHERE q.id = u.id AND NOT EXISTS (SELECT 1 FROM refused))
       SELECT id::text, status FROM refused ORDER BY id LIMIT 1`,
      [items.map((i) => i.id), items.map((i) => i.token), this.clock.now()],
    );
    const bad = rows[0];
    if (!bad) return;
    const id = Number(bad.id);
    if (bad.status === null) throw new NotFoundError('inbound message', id);
    throw new ConflictError(bad.status === 'expired' ? `inbound message ${id} is expired` : notHeldMessage('inbound message', id));
  }

  async markFailed(id: number, token: string, error: string, maxAttempts?: number): Promise<'failed' | 'dead_letter'> {
    // The new attemptCount picks the delay from the domain's schedule, capped at its last entry.
    const dead = await this.transition(
      id,
      token,
      ['delivered', 'expired'],
      `status = 'failed', attempt_count = attempt_count + 1, last_error = $1, locked_at = NULL, lock_expires_at = NULL, claim_token = NULL,
       next_retry_at = $2::timestamptz
         + ($3::bigint[])[LEAST(attempt_count + 1, cardinality($3::bigint[]))] * interval '1 millisecond',
       dead_at = CASE WHEN attempt_count + 1 >= $4::int THEN $2::timestamptz END`,
      [error, this.clock.now(), INBOUND_BACKOFF_MS, maxAttempts ?? null],
    );
    return dead ? 'dead_letter' : 'failed';
  }

  async redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const { rowCount } = await this.db.query(
      `UPDATE inbound_queue SET dead_at = NULL, attempt_count = 0, next_retry_at = NULL
       WHERE dead_at IS NOT NULL AND status = 'failed' AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))`,
      [ids ?? null],
    );
    return rowCount ?? 0;
  }

  async markExpired(id: number, token: string, reason?: string): Promise<void> {
    // A repeated expiry keeps the first reason, as it keeps the first processedAt.
    await this.transition(
      id,
      token,
      ['delivered'],
      `status = 'expired', processed_at = COALESCE(processed_at, $1), locked_at = NULL, lock_expires_at = NULL,
       last_error = CASE WHEN status <> 'expired' THEN COALESCE($2::text, last_error) ELSE last_error END`,
      [this.clock.now(), reason ?? null],
    );
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    await this.transition(id, token, ['pending', 'failed', 'delivered', 'expired'], 'locked_at = $1, lock_expires_at = $2', [
      now,
      new Date(now.getTime() + ttlMs),
    ]);
  }

  async release(id: number, token: string): Promise<void> {
    // Back to the status it was claimed from as far as it is known: failed once it has failed before.
    await this.transition(
      id,
      token,
      ['pending', 'failed', 'delivered', 'expired'],
      `status = CASE WHEN attempt_count > 0 THEN 'failed' ELSE 'pending' END, next_retry_at = NULL,
       locked_at = NULL, lock_expires_at = NULL, claim_token = NULL`,
      [],
    );
  }

  /** Applies `set` to the message held by `token` unless its status is one of `refused`. */
  private async transition(id: number, token: string, refused: InboundStatus[], set: string, params: unknown[]): Promise<boolean> {
    const tokenParam = `$${params.length + 1}`;
    const { row, previous } = await guardedUpdate(
      this.db,
      {
        table: 'inbound_queue',
        key: 'id',
        stateColumn: 'status',
        set,
        guard: `claim_token = ${tokenParam} AND status NOT IN (${refused.map((s) => `'${s}'`).join(', ')})`,
        returning: 'dead_at',
        params: [...params, token],
      },
      id,
    );
    if (row) return row.dead_at !== null;
    if (previous === null) throw new NotFoundError('inbound message', id);
    throw new ConflictError(
      refused.includes(previous as InboundStatus) ? `inbound message ${id} is ${previous}` : notHeldMessage('inbound message', id),
    );
  }

  async listPending(sessionId: string, options?: ListPendingOptions): Promise<InboundMessage[]> {
    const { limit, lockTtlMs } = options as { limit: number; lockTtlMs: number };
    const now = this.clock.now();
    const { rows } = await this.db.query(
      `SELECT ${ALL} FROM inbound_queue
       WHERE session_id = $1 AND dead_at IS NULL AND (locked_at IS NULL OR locked_at < $2 AND (lock_expires_at IS NULL OR lock_expires_at < $3))
         AND (status IN ('pending', 'failed') AND (next_retry_at IS NULL OR next_retry_at <= $3) OR status = 'processing')
       ORDER BY id LIMIT $4`,
      [sessionId, lockCutoff(now, lockTtlMs), now, limit],
    );
    return rows.map((row) => codec.fromRow(row));
  }

  async expireForSession(sessionId: string): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE inbound_queue SET status = 'expired', processed_at = $1, locked_at = NULL
       WHERE session_id = $2 AND status IN ('pending', 'processing', 'failed')`,
      [this.clock.now(), sessionId],
    );
    return rowCount ?? 0;
  }

  async sessionsWithPending(): Promise<string[]> {
    const { rows } = await this.db.query<{ session_id: string }>(
      `SELECT session_id FROM inbound_queue WHERE status IN ('pending', 'failed') AND dead_at IS NULL
       GROUP BY session_id ORDER BY session_id COLLATE "C"`,
    );
    return rows.map((r) => r.session_id);
  }

  async cleanup(olderThanMs = 72 * HOUR): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM inbound_queue WHERE status IN ('delivered', 'expired') AND COALESCE(processed_at, created_at) < $1`,
      [new Date(this.clock.now().getTime() - olderThanMs)],
    );
    return rowCount ?? 0;
  }
  stats(): Promise<QueueStats> {
    return postgresQueueStats(this.db, 'inbound', this.clock.now(), INBOUND_LOCK_TTL_MS);
  }
}
