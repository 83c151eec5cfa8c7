import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { sqliteQueueStats } from './sqlite-queue-stats.js';
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
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(inboundMessageFields);
const ALL = codec.columnList;
const BACKOFF = JSON.stringify(INBOUND_BACKOFF_MS);

/*
 * The inbound claim rules (see postgres-inbound-claim.ts), with :now and :cutoff. Claims run
 * in IMMEDIATE transactions, so these reads see every committed claim.
 */
const claimable = (x: string) =>
  `(${x}.status IN ('pending', 'failed', 'processing') AND ${x}.dead_at IS NULL
    AND (${x}.locked_at IS NULL OR ${x}.locked_at < :cutoff AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < :now)))`;
const due = (x: string) => `(${x}.status = 'processing' OR ${x}.next_retry_at IS NULL OR ${x}.next_retry_at <= :now)`;
const inFlight = (x: string) =>
  `(${x}.status = 'processing' AND ${x}.locked_at IS NOT NULL
    AND NOT (${x}.locked_at < :cutoff AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < :now)))`;
const headOf = (t: string) =>
  `NOT EXISTS (SELECT 1 FROM inbound_queue o WHERE o.session_id = ${t}.session_id AND o.id <> ${t}.id
     AND o.status IN ('pending', 'failed', 'processing')
     AND (${inFlight('o')} OR o.id < ${t}.id AND ${claimable('o')} AND ${due('o')}))`;
const CLAIM_ID = `SELECT t.id, ${claimable('t')} AND ${headOf('t')} AS ok FROM inbound_queue t WHERE t.id = :id`;
const claimNextSql = (bySession: boolean) =>
  `SELECT q.id FROM inbound_queue q
   WHERE q.status IN ('pending', 'failed', 'processing') ${bySession ? 'AND q.session_id = :sessionId' : ''}
     AND ${claimable('q')} AND ${due('q')} AND ${headOf('q')}
   ORDER BY q.id LIMIT 1`;
const CLAIM_NEXT = claimNextSql(false);
const CLAIM_NEXT_OF_SESSION = claimNextSql(true);
const GET = `SELECT ${ALL} FROM inbound_queue WHERE id = ?`;
/** The claimed row, then its claim_token (at index `TOKEN`). */
const TAKE = `UPDATE inbound_queue SET status = 'processing', locked_at = ?, lock_expires_at = NULL, claim_token = lower(hex(randomblob(16)))
  WHERE id = ? RETURNING ${ALL}, claim_token`;
const TOKEN = ALL.split(', ').length;
const LIST_PENDING = `SELECT ${ALL} FROM inbound_queue
  WHERE session_id = ? AND dead_at IS NULL AND (locked_at IS NULL OR locked_at < ? AND (lock_expires_at IS NULL OR lock_expires_at < ?))
    AND (status IN ('pending', 'failed') AND (next_retry_at IS NULL OR next_retry_at <= ?) OR status = 'processing')
  ORDER BY id LIMIT ?`;
const REDRIVE = `UPDATE inbound_queue SET dead_at = NULL, attempt_count = 0, next_retry_at = NULL
  WHERE dead_at IS NOT NULL AND status = 'failed'`;
const REDRIVE_IDS = `${REDRIVE} AND id IN (SELECT value FROM json_each(?))`;
/** Enqueue statements, one per set of columns given (made once per set). */
const enqueues = new Map<number, string>();

/**
 * A guarded transition: `set` applied to the message held by the token unless its
 * status is one of `refused`. Its SQL is made once, where the transition is declared.
 */
interface Transition {
  sql: string;
  refused: readonly InboundStatus[];
}

function transition(refused: readonly InboundStatus[], set: string): Transition {
  const guard = refused.map((s) => `'${s}'`).join(', ');
  return { sql: `UPDATE inbound_queue SET ${set} WHERE id = ? AND claim_token = ? AND status NOT IN (${guard})`, refused };
}

const DELIVER = transition(['expired'], "status = 'delivered', processed_at = COALESCE(processed_at, ?), locked_at = NULL, lock_expires_at = NULL");
const FAIL = transition(
  ['delivered', 'expired'],
  `status = 'failed', attempt_count = attempt_count + 1, last_error = ?, locked_at = NULL, lock_expires_at = NULL, claim_token = NULL,
   next_retry_at = ? + json_extract(?, '$[' || min(attempt_count, json_array_length(?) - 1) || ']'),
   dead_at = CASE WHEN attempt_count + 1 >= ? THEN ? END`,
);
// A repeated expiry keeps the first reason, as it keeps the first processedAt.
const EXPIRE = transition(
  ['delivered'],
  `status = 'expired', processed_at = COALESCE(processed_at, ?), locked_at = NULL, lock_expires_at = NULL,
   last_error = CASE WHEN status <> 'expired' THEN COALESCE(?, last_error) ELSE last_error END`,
);
const EXTEND = transition(['pending', 'failed', 'delivered', 'expired'], 'locked_at = ?, lock_expires_at = ?');
// Back to the status it was claimed from as far as it is known: failed once it has failed before.
const RELEASE = transition(
  ['pending', 'failed', 'delivered', 'expired'],
  `status = CASE WHEN attempt_count > 0 THEN 'failed' ELSE 'pending' END, next_retry_at = NULL,
   locked_at = NULL, lock_expires_at = NULL, claim_token = NULL`,
);

export class SqliteInboundQueueRepository implements InboundQueueRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  enqueue(input: InboundEnqueueInput): Promise<number | null> {
    const now = this.clock.now().getTime();
    const { columns, params, shape } = codec.toRow(withFields(input as Partial<InboundMessage>, { status: 'pending' as const, createdAt: new Date(now) }));
    let sql = enqueues.get(shape);
    if (sql === undefined) {
      sql = `INSERT INTO inbound_queue (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
        ON CONFLICT (origin, source_message_id) WHERE source_message_id IS NOT NULL DO NOTHING RETURNING id`;
      enqueues.set(shape, sql);
    }
    const statement = sql;
    return this.db.run(() => {
      const row = this.db.prepareRaw(statement).get(params) as [number] | undefined;
      return row === undefined ? null : row[0];
    });
  }

  get(id: number): Promise<InboundMessage | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET).get(id) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  claim(id: number, lockTtlMs = INBOUND_LOCK_TTL_MS): Promise<Claimed<InboundMessage> | null> {
    const params = this.claimParams(lockTtlMs);
    return this.db.immediate(() => {
      const target = this.db.prepare(CLAIM_ID).get(withFields(params, { id })) as { id: number; ok: number } | undefined;
      if (!target) throw new NotFoundError('inbound message', id);
      return target.ok ? this.take(id, params.now) : null;
    });
  }

  claimNext(options?: ClaimNextOptions): Promise<Claimed<InboundMessage> | null> {
    const { lockTtlMs, sessionId } = options as { lockTtlMs: number; sessionId?: string };
    const params = this.claimParams(lockTtlMs);
    // Chosen and claimed under the write lock (IMMEDIATE), so no other process claims in between.
    return this.db.immediate(() => {
      const id = (sessionId === undefined ? this.db.prepare(CLAIM_NEXT).get(params) : this.db.prepare(CLAIM_NEXT_OF_SESSION).get(withFields(params, { sessionId }))) as
        | { id: number }
        | undefined;
      return id ? this.take(id.id, params.now) : null;
    });
  }

  private claimParams(lockTtlMs: number): { now: number; cutoff: number } {
    const now = this.clock.now();
    return { now: now.getTime(), cutoff: lockCutoff(now, lockTtlMs).getTime() };
  }

  private take(id: number, now: number): Claimed<InboundMessage> {
    const row = this.db.prepareRaw(TAKE).get(now, id) as unknown[];
    const claimed = codec.fromArray(row) as Claimed<InboundMessage>;
    claimed.claimToken = row[TOKEN] as string;
    return claimed;
  }

  markDelivered(id: number, token: string): Promise<void> {
    return this.db.run(() => this.deliver(id, token, this.clock.now().getTime()));
  }

  markDeliveredMany(items: { id: number; token: string }[]): Promise<void> {
    const now = this.clock.now().getTime();
    // One transaction for the batch: a stale token rolls the whole batch back.
    return this.db.immediate(() => {
      for (const item of items) this.deliver(item.id, item.token, now);
    });
  }

  private deliver(id: number, token: string, now: number): void {
    this.apply(DELIVER, id, token, [now]);
  }

  markFailed(id: number, token: string, error: string, maxAttempts?: number): Promise<'failed' | 'dead_letter'> {
    // The new attemptCount picks the delay from the domain's schedule, capped at its last entry.
    const now = this.clock.now().getTime();
    // Atomic, so that the update and the read of its outcome are one unit (also when retried).
    return this.db.immediate(() => {
      this.apply(FAIL, id, token, [error, now, BACKOFF, BACKOFF, maxAttempts ?? null, now]);
      const dead = this.db.prepare('SELECT dead_at FROM inbound_queue WHERE id = ?').pluck().get(id);
      return dead === null ? 'failed' : 'dead_letter';
    });
  }

  redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    return this.db.run(() => (ids ? this.db.prepare(REDRIVE_IDS).run(JSON.stringify(ids)) : this.db.prepare(REDRIVE).run()).changes);
  }

  markExpired(id: number, token: string, reason?: string): Promise<void> {
    const params = [this.clock.now().getTime(), reason ?? null];
    return this.db.run(() => this.apply(EXPIRE, id, token, params));
  }

  extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    return this.db.run(() => this.apply(EXTEND, id, token, [now, now + ttlMs]));
  }

  release(id: number, token: string): Promise<void> {
    return this.db.run(() => this.apply(RELEASE, id, token, []));
  }

  /** Applies `transition` (with its `params`) to the message held by `token`. */
  private apply({ sql, refused }: Transition, id: number, token: string, params: unknown[]): void {
    // Not pushed onto `params`: the work may run again when it waited for the write lock.
    if (this.db.prepare(sql).run(...params, id, token).changes > 0) return;
    const status = this.db.prepare('SELECT status FROM inbound_queue WHERE id = ?').pluck().get(id) as InboundStatus | undefined;
    if (status === undefined) throw new NotFoundError('inbound message', id);
    throw new ConflictError(refused.includes(status) ? `inbound message ${id} is ${status}` : notHeldMessage('inbound message', id));
  }

  listPending(sessionId: string, options?: ListPendingOptions): Promise<InboundMessage[]> {
    const { limit, lockTtlMs } = options as { limit: number; lockTtlMs: number };
    const now = this.clock.now();
    const cutoff = lockCutoff(now, lockTtlMs).getTime();
    return this.db.run(() =>
      (this.db.prepareRaw(LIST_PENDING).all(sessionId, cutoff, now.getTime(), now.getTime(), limit) as unknown[][]).map((row) => codec.fromArray(row)),
    );
  }

  expireForSession(sessionId: string): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.run(
      () =>
        this.db
          .prepare(
            `UPDATE inbound_queue SET status = 'expired', processed_at = ?, locked_at = NULL
             WHERE session_id = ? AND status IN ('pending', 'processing', 'failed')`,
          )
          .run(now, sessionId).changes,
    );
  }

  sessionsWithPending(): Promise<string[]> {
    return this.db.run(
      () =>
        this.db
          .prepare("SELECT DISTINCT session_id FROM inbound_queue WHERE status IN ('pending', 'failed') AND dead_at IS NULL ORDER BY session_id")
          .pluck()
          .all() as string[],
    );
  }

  cleanup(olderThanMs = 72 * HOUR): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    return this.db.run(
      () =>
        this.db
          .prepare(
            `DELETE FROM inbound_queue
             WHERE status IN ('delivered', 'expired') AND COALESCE(processed_at, created_at) < ?`,
          )
          .run(cutoff).changes,
    );
  }
  stats(): Promise<QueueStats> {
    return sqliteQueueStats(this.db, 'inbound', this.clock.now(), INBOUND_LOCK_TTL_MS);
  }
}
