import { z } from 'zod';
import { InboundEnqueueInput, type InboundMessage } from '../domain/inbound-queue.js';
import { HOUR } from '../domain/fields.js';
import { AutoId, DurationMs, Limit } from '../domain/validation.js';
import {
  ClaimedItem,
  claimedItems,
  ClaimToken,
  ExtendTtlMs,
  INBOUND_LOCK_TTL_MS,
  OptionalMaxAttempts,
  RedriveOptions,
  type Claimed,
} from '../domain/work-queue.js';
import type { QueueStats } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * Inbound messages waiting to be typed into their session, one at a time per session.
 * Statuses: pending -> processing -> delivered, or -> failed (retried after a backoff),
 * or -> expired. delivered and expired are final. Mutations of a missing id throw
 * `NotFoundError`; a transition a message's status does not allow throws `ConflictError`.
 * Every mark, `extend` and `release` takes the token `claim` returned and throws
 * `ConflictError` (changing nothing) when that claim no longer holds the message: it was
 * released, marked failed, or taken over by another claim after its lock went stale.
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
   * lockedAt = now and a fresh claim token, and returns it with the token. A lock extended by
   * `extend` is held until both its TTL and its extension have passed. Returns `null` when
   * it is not claimable (another worker holds it, or it is delivered or expired), when
   * another message of its session is in flight (processing under a live lock), or when an
   * older message of its session is claimable and due: one message per session at a time,
   * oldest due first, also across processes. Of concurrent claims exactly one wins. As the
   * daemon's `claim_inbound`, it does not wait for the message's own retry time.
   */
  claim(id: number, lockTtlMs?: number): Promise<Claimed<InboundMessage> | null>;
  /**
   * Claims the oldest due message (by id) of a session that has no message in flight, of
   * `sessionId` only when given, as `claim` would; `null` when there is none. Any number of
   * workers may call it concurrently: no session ever has two messages in flight, and a
   * session's messages are handed out oldest due first.
   */
  claimNext(options?: ClaimNextOptions): Promise<Claimed<InboundMessage> | null>;
  /**
   * Final success: status delivered, processedAt = now, lock released. Idempotent for the
   * token that delivered it; `ConflictError` when expired.
   */
  markDelivered(id: number, token: string): Promise<void>;
  /**
   * `markDelivered` for many claimed messages in one transaction. All or nothing: when one
   * token no longer holds its message (or it is expired, or missing) nothing is marked.
   */
  markDeliveredMany(items: { id: number; token: string }[]): Promise<void>;
  /**
   * A failed attempt: attemptCount + 1, status failed, lastError, lock released and
   * nextRetryAt = now + the backoff for the new attemptCount (5, 10, 20, 40, 80, 160,
   * then 300 s); the token is spent. When this was attempt `maxAttempts` (default: none,
   * retried for ever, as the daemon does) the message goes to the dead letter instead: it
   * stays failed but is never claimed, listed or counted as pending until `redrive`. Returns
   * where it went. `ConflictError` when delivered or expired.
   */
  markFailed(id: number, token: string, error: string, maxAttempts?: number): Promise<'failed' | 'dead_letter'>;
  /** Brings dead-lettered messages back (the given ids, or all): due now, attemptCount 0. Returns how many. */
  redrive(options?: RedriveOptions): Promise<number>;
  /**
   * Final: status expired, processedAt = now, lock released, and `reason` (why the message
   * was dropped, as the daemon's `mark_inbound_expired(id, error)` records it) stored as
   * lastError; without a reason lastError keeps the last failure. Idempotent: expiring an
   * expired message changes nothing. `ConflictError` when delivered.
   */
  markExpired(id: number, token: string, reason?: string): Promise<void>;
  /**
   * Keeps the processing message held for at least `ttlMs` from now (and the claimer's TTL
   * from now): a worker whose handler runs long calls it before its lock goes stale.
   */
  extend(id: number, token: string, ttlMs: number): Promise<void>;
  /**
   * Gives the claim back (e.g. on shutdown): the message is claimable at once, as pending
   * (failed when it has failed before), attemptCount unchanged.
   */
  release(id: number, token: string): Promise<void>;
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
  /**
   * Counts of the queue now (see `QueueStats`), with the default lock TTL deciding which
   * claims are live. Reads only.
   */
  stats(): Promise<QueueStats>;
}

const SessionId = z.string().min(1, 'must not be empty');
const ListPendingOptions = z
  .object({ limit: Limit.default(100), lockTtlMs: DurationMs.default(INBOUND_LOCK_TTL_MS) })
  .strict()
  .default({ limit: 100, lockTtlMs: INBOUND_LOCK_TTL_MS });
export type ListPendingOptions = z.input<typeof ListPendingOptions>;
const ClaimNextOptions = z
  .object({ sessionId: SessionId.optional(), lockTtlMs: DurationMs.default(INBOUND_LOCK_TTL_MS) })
  .strict()
  .default({ lockTtlMs: INBOUND_LOCK_TTL_MS });
export type ClaimNextOptions = z.input<typeof ClaimNextOptions>;

export const inboundQueueRepositoryInputs: InputSchemas<InboundQueueRepository> = {
  enqueue: [['', InboundEnqueueInput]],
  get: [['id', AutoId]],
  claim: [
    ['id', AutoId],
    ['lockTtlMs', DurationMs.default(INBOUND_LOCK_TTL_MS)],
  ],
  claimNext: [['options', ClaimNextOptions]],
  markDelivered: [
    ['id', AutoId],
    ['token', ClaimToken],
  ],
  markDeliveredMany: [['items', claimedItems(ClaimedItem)]],
  markFailed: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['error', z.string()],
    ['maxAttempts', OptionalMaxAttempts],
  ],
  redrive: [['options', RedriveOptions]],
  markExpired: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['reason', z.string().optional()],
  ],
  extend: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['ttlMs', ExtendTtlMs],
  ],
  release: [
    ['id', AutoId],
    ['token', ClaimToken],
  ],
  listPending: [
    ['sessionId', SessionId],
    ['options', ListPendingOptions],
  ],
  expireForSession: [['sessionId', SessionId]],
  sessionsWithPending: [],
  cleanup: [['olderThanMs', DurationMs.default(72 * HOUR)]],
  stats: [],
};
