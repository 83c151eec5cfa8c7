import { z } from 'zod';
import { InboundEnqueueInput, type InboundMessage } from '../domain/inbound-queue.js';
import { HOUR } from '../domain/fields.js';
import { AutoId, DurationMs } from '../domain/validation.js';
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
  /** Final: status expired, processedAt = now, lock released. Idempotent; `ConflictError` when delivered. */
  markExpired(id: number): Promise<void>;
  /**
   * The session's pending and failed messages that are due (nextRetryAt null or <= now),
   * first in first out (createdAt, then id).
   */
  listPending(sessionId: string): Promise<InboundMessage[]>;
  /** Expires every pending, processing and failed message of the session; returns how many. */
  expireForSession(sessionId: string): Promise<number>;
  /** Ids of sessions with at least one pending or failed message, sorted. */
  sessionsWithPending(): Promise<string[]>;
  /** Deletes delivered and expired messages processed more than `olderThanMs` (default 72 h) ago; returns how many. */
  cleanup(olderThanMs?: number): Promise<number>;
}

const SessionId = z.string().min(1, 'must not be empty');

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
  markExpired: [['id', AutoId]],
  listPending: [['sessionId', SessionId]],
  expireForSession: [['sessionId', SessionId]],
  sessionsWithPending: [],
  cleanup: [['olderThanMs', DurationMs.default(72 * HOUR)]],
};
