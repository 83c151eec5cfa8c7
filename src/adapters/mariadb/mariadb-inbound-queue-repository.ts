import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { HOUR, withFields } from '../../domain/fields.js';
import {
  INBOUND_BACKOFF_MS,
  inboundMessageFields,
  type InboundEnqueueInput,
  type InboundMessage,
  type InboundStatus,
} from '../../domain/inbound-queue.js';
import { INBOUND_LOCK_TTL_MS, lockCutoff, notHeldMessage, type Claimed, type QueueStats, type RedriveOptions } from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { ClaimNextOptions, InboundQueueRepository, ListPendingOptions } from '../../ports/inbound-queue-repository.js';
import { ident, MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { claimInboundById, claimNextInbound } from './mariadb-inbound-claim.js';
import { mariadbQueueStats } from './mariadb-queue-stats.js';

const codec = new MariadbCodec(inboundMessageFields);
const ALL = codec.columnList;

/** What a guarded transition reads of the locked row. */
interface Held {
  status: InboundStatus;
  claim_token: string | null;
  attempt_count: number;
  processed_at: number | null;
  last_error: string | null;
}

export class MariadbInboundQueueRepository implements InboundQueueRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async enqueue(input: InboundEnqueueInput): Promise<number | null> {
    const { columns, params } = codec.toRow(withFields(input as Partial<InboundMessage>, { status: 'pending' as const, createdAt: this.clock.now() }));
    try {
      const { insertId } = await this.db.query(`INSERT INTO inbound_queue (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)})`, params);
      return insertId;
    } catch (error) {
      // The same source message again (its unique key): nothing inserted, as the other engines' ON CONFLICT DO NOTHING.
      // A failed statement leaves an enclosing transaction going.
      if (error instanceof ConflictError && /idx_inbound_queue_source/.test(error.message)) return null;
      throw error;
    }
  }

  async get(id: number): Promise<InboundMessage | null> {
    const { rows } = await this.db.query(`SELECT ${ALL} FROM inbound_queue WHERE id = ?`, [id]);
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
    // Rows locked and tokens checked first; the update runs only when every token still
    // holds its message (see MariadbHookOutboxRepository.markDeliveredMany).
    const now = this.clock.now().getTime();
    if (items.length === 1) {
      // One message: a single statement that checks the token itself; only a refusal reads why.
      const [{ id, token }] = items as [{ id: number; token: string }];
      const { rowCount } = await this.db.query(
        `UPDATE inbound_queue SET status = 'delivered', processed_at = COALESCE(processed_at, ?), locked_at = NULL, lock_expires_at = NULL
         WHERE id = ? AND claim_token = ? AND status <> 'expired'`,
        [now, id, token],
      );
      if (rowCount > 0) return;
    }
    await this.db.atomic(async (tx) => {
      const ids = items.map((i) => i.id);
      const { rows } = await tx.query<{ id: number; claim_token: string | null; status: InboundStatus }>(
        'SELECT id, claim_token, status FROM inbound_queue WHERE id IN (?) ORDER BY id FOR UPDATE',
        [ids],
      );
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      const refused = items
        .filter((i) => {
          const row = byId.get(i.id);
          return row?.claim_token !== i.token || row.status === 'expired';
        })
        .map((i) => i.id)
        .sort((a, b) => a - b)[0];
      if (refused !== undefined) {
        const row = byId.get(refused);
        if (!row) throw new NotFoundError('inbound message', refused);
        throw new ConflictError(row.status === 'expired' ? `inbound message ${refused} is expired` : notHeldMessage('inbound message', refused));
      }
      await tx.query(
        `UPDATE inbound_queue SET status = 'delivered', processed_at = COALESCE(processed_at, ?), locked_at = NULL, lock_expires_at = NULL
         WHERE id IN (?)`,
        [now, ids],
      );
    });
  }

  async markFailed(id: number, token: string, error: string, maxAttempts?: number): Promise<'failed' | 'dead_letter'> {
    const now = this.clock.now().getTime();
    // The new attemptCount picks the delay from the domain's schedule, capped at its last entry.
    const dead = await this.transition(id, token, ['delivered', 'expired'], (row) => {
      const attempts = row.attempt_count + 1;
      const isDead = maxAttempts !== undefined && attempts >= maxAttempts;
      const delay = INBOUND_BACKOFF_MS[Math.min(attempts, INBOUND_BACKOFF_MS.length) - 1]!;
      return {
        set: `status = 'failed', attempt_count = ?, last_error = ?, locked_at = NULL, lock_expires_at = NULL, claim_token = NULL,
          next_retry_at = ?, dead_at = ?`,
        params: [attempts, error, now + delay, isDead ? now : null],
        result: isDead,
      };
    });
    return dead ? 'dead_letter' : 'failed';
  }

  async redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const { rowCount } = await this.db.query(
      `UPDATE inbound_queue SET dead_at = NULL, attempt_count = 0, next_retry_at = NULL
       WHERE dead_at IS NOT NULL AND status = 'failed'${ids === undefined ? '' : ' AND id IN (?)'}`,
      ids === undefined ? [] : [ids],
    );
    return rowCount;
  }

  async markExpired(id: number, token: string, reason?: string): Promise<void> {
    const now = this.clock.now().getTime();
    // A repeated expiry keeps the first reason, as it keeps the first processedAt.
    await this.transition(id, token, ['delivered'], (row) => ({
      set: "status = 'expired', processed_at = ?, locked_at = NULL, lock_expires_at = NULL, last_error = ?",
      params: [row.processed_at ?? now, row.status !== 'expired' ? (reason ?? row.last_error) : row.last_error],
      result: false,
    }));
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    await this.transition(id, token, ['pending', 'failed', 'delivered', 'expired'], () => ({
      set: 'locked_at = ?, lock_expires_at = ?',
      params: [now, now + ttlMs],
      result: false,
    }));
  }

  async release(id: number, token: string): Promise<void> {
    // Back to the status it was claimed from as far as it is known: failed once it has failed before.
    await this.transition(id, token, ['pending', 'failed', 'delivered', 'expired'], (row) => ({
      set: 'status = ?, next_retry_at = NULL, locked_at = NULL, lock_expires_at = NULL, claim_token = NULL',
      params: [row.attempt_count > 0 ? 'failed' : 'pending'],
      result: false,
    }));
  }

  /**
   * Applies the update `change` makes of the locked row to the message held by `token`
   * unless its status is one of `refused`; returns change's result.
   */
  private async transition<T>(
    id: number,
    token: string,
    refused: InboundStatus[],
    change: (row: Held) => { set: string; params: unknown[]; result: T },
  ): Promise<T> {
    return this.db.atomic(async (tx) => {
      const { rows } = await tx.query<Held>(
        'SELECT status, claim_token, attempt_count, processed_at, last_error FROM inbound_queue WHERE id = ? FOR UPDATE',
        [id],
      );
      const row = rows[0];
      if (!row) throw new NotFoundError('inbound message', id);
      if (row.claim_token !== token || refused.includes(row.status)) {
        throw new ConflictError(refused.includes(row.status) ? `inbound message ${id} is ${row.status}` : notHeldMessage('inbound message', id));
      }
      const { set, params, result } = change({
        ...row,
        attempt_count: Number(row.attempt_count),
        processed_at: row.processed_at === null ? null : Number(row.processed_at),
      });
      await tx.query(`UPDATE inbound_queue SET ${set} WHERE id = ?`, [...params, id]);
      return result;
    });
  }

  async listPending(sessionId: string, options?: ListPendingOptions): Promise<InboundMessage[]> {
    const { limit, lockTtlMs } = options as { limit: number; lockTtlMs: number };
    const now = this.clock.now();
    const ms = now.getTime();
    const { rows } = await this.db.query(
      `SELECT ${ALL} FROM inbound_queue
       WHERE session_id = ? AND dead_at IS NULL AND (locked_at IS NULL OR locked_at < ? AND (lock_expires_at IS NULL OR lock_expires_at < ?))
         AND (status IN ('pending', 'failed') AND (next_retry_at IS NULL OR next_retry_at <= ?) OR status = 'processing')
       ORDER BY id LIMIT ?`,
      [sessionId, lockCutoff(now, lockTtlMs).getTime(), ms, ms, limit],
    );
    return rows.map((row) => codec.fromRow(row));
  }

  async expireForSession(sessionId: string): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE inbound_queue SET status = 'expired', processed_at = ?, locked_at = NULL
       WHERE session_id = ? AND status IN ('pending', 'processing', 'failed')`,
      [this.clock.now().getTime(), sessionId],
    );
    return rowCount;
  }

  async sessionsWithPending(): Promise<string[]> {
    const { rows } = await this.db.query<{ session_id: string }>(
      `SELECT session_id FROM inbound_queue WHERE status IN ('pending', 'failed') AND dead_at IS NULL
       GROUP BY session_id ORDER BY session_id`,
    );
    return rows.map((r) => r.session_id);
  }

  async cleanup(olderThanMs = 72 * HOUR): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM inbound_queue WHERE status IN ('delivered', 'expired') AND COALESCE(processed_at, created_at) < ?`,
      [this.clock.now().getTime() - olderThanMs],
    );
    return rowCount;
  }

  stats(): Promise<QueueStats> {
    return mariadbQueueStats(this.db, 'inbound', this.clock.now(), INBOUND_LOCK_TTL_MS);
  }
}
