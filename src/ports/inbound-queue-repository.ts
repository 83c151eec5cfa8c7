import { z } from 'zod';
import { InboundEnqueueInput, type InboundMessage } from '../domain/inbound-queue.js';
import { HOUR } from '../domain/fields.js';
import { AutoId, DurationMs, Limit } from '../domain/validation.js';
import { INBOUND_LOCK_TTL_MS } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * Inbound messages waiting to be typed into their session, one at a time per session.
 * Statuses: pending -> processing -> delivered, or -> failed (retried after a backoff),
 * or -> expired. delivered and expired are final. Mutations of a missing id throw
 * `NotFoundError`; a transition a message's status does not allow throws `ConflictError`.
 */
export interface InboundQueueRepository {
  /**
   * Appends a pending message; returns its id, or `null` (and writes nothing) when a
   * message with the same (origin, sourceMessageId) exists: re-delivered platform
   * updates are dropped atomically, also under concurrent enqueues.
   */
  enqueue(input: InboundEnqueueInput): Promise<number | null>;
  /** The message with this id; `null` when there is none. */
  get(id: number): Promise<InboundMessage | null>;
  /**
   * Atomically moves a pending or failed message (or a processing one whose lock is
   * older than `lockTtlMs`, default 300 s: its worker died) to processing with
   * lockedAt = now, and returns it. Returns `null` when it is not claimable (another
   * worker holds it, or it is delivered or expired): of concurrent claims exactly one wins.
   */
  claim(id: number, lockTtlMs?: number): Promise<InboundMessage | null>;
  /** Final success: status delivered, processedAt = now, lock released. Idempotent; `ConflictError` when expired. */
  markDelivered(id: number): Promise<void>;
  /**
   * A failed attempt: attemptCount + 1, status failed, lastError, lock released and
   * nextRetryAt = now + the backoff for the new attemptCount (5, 10, 20, 40, 80, 160,
   * then 300 s). `ConflictError` when delivered or expired.
   */
  markFailed(id: number, error: string): Promise<void>;
  /**
   * Final: status expired, processedAt = now, lock released, and `reason` (why the message
   * was dropped, as the daemon's `mark_inbound_expired(id, error)` records it) stored as
   * lastError; without a reason lastError keeps the last failure. Idempotent: expiring an
   * expired message changes nothing. `ConflictError` when delivered.
   */
  markExpired(id: number, reason?: string): Promise<void>;
  /**
   * The session's messages that `claim` would take now, first in first out by id, at most
   * `limit` (default 100): pending and failed messages that are due (nextRetryAt null or
   * <= now) and not locked, or whose lock is older than `lockTtlMs` (default 300 s), as the
   * daemon's `fetch_inbound_pending(limit, lock_cutoff)`. One deliberate addition: a
   * processing message whose lock is older than `lockTtlMs` (its worker died) is listed too,
   * since `claim` takes it over; the daemon's query never returned it again.
   */
  listPending(sessionId: string, options?: ListPendingOptions): Promise<InboundMessage[]>;
  /** Expires every pending, processing and failed message of the session; returns how many. */
  expireForSession(sessionId: string): Promise<number>;
  /** Ids of sessions with at least one pending or failed message, sorted. */
  sessionsWithPending(): Promise<string[]>;
  /** Deletes delivered and expired messages processed more than `olderThanMs` (default 72 h) ago; returns how many. */
  cleanup(olderThanMs?: number): Promise<number>;
}

const SessionId = z.string().min(1, 'must not be empty');
const ListPendingOptions = z
  .object({ limit: Limit.default(100), lockTtlMs: DurationMs.default(INBOUND_LOCK_TTL_MS) })
  .strict()
  .default({ limit: 100, lockTtlMs: INBOUND_LOCK_TTL_MS });
export type ListPendingOptions = z.input<typeof ListPendingOptions>;

export const inboundQueueRepositoryInputs: InputSchemas<InboundQueueRepository> = {
  enqueue: [['', InboundEnqueueInput]],
  get: [['id', AutoId]],
  claim: [
    ['id', AutoId],
    ['lockTtlMs', DurationMs.default(INBOUND_LOCK_TTL_MS)],
  ],
  markDelivered: [['id', AutoId]],
  markFailed: [
    ['id', AutoId],
    ['error', z.string()],
  ],
  markExpired: [
    ['id', AutoId],
    ['reason', z.string().optional()],
  ],
  listPending: [
    ['sessionId', SessionId],
    ['options', ListPendingOptions],
  ],
  expireForSession: [['sessionId', SessionId]],
  sessionsWithPending: [],
  cleanup: [['olderThanMs', DurationMs.default(72 * HOUR)]],
};
