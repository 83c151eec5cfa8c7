import { z } from 'zod';
import { HookEventInput, type HookEvent } from '../domain/hook-outbox.js';
import { AutoId, DateInput, DurationMs } from '../domain/validation.js';
import {
  claimBatchOptions,
  ClaimedItem,
  claimedItems,
  ClaimToken,
  ExtendTtlMs,
  HOOK_LOCK_TTL_MS,
  OptionalMaxAttempts,
  RedriveOptions,
  type ClaimBatchOptions,
  type Claimed,
} from '../domain/work-queue.js';
import type { QueueStats } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * The hook outbox: events the hook receiver process writes and daemon workers process.
 * A work queue: any number of workers in any number of processes may claim from it.
 * Mutations of a missing id throw `NotFoundError`. Every mark, `extend` and `release` takes the
 * token of the claim that handed the row out and throws `ConflictError` (changing nothing) when
 * that claim no longer holds the row: it was released, finished (marked failed) or, after its
 * lock went stale, claimed again by another worker. A claim whose lock went stale but that no
 * other worker took over still holds its row.
 */
export interface HookOutboxRepository {
  /** Appends an event, due at `nextAttemptAt` (default now); returns its id. */
  enqueue(input: HookEventInput): Promise<number>;
  /** The event with this id; `null` when there is none. */
  get(id: number): Promise<HookEvent | null>;
  /**
   * Atomically claims up to `limit` undelivered events that are due (nextAttemptAt <= now)
   * and unlocked, or whose lock is older than `lockTtlMs` (default 30 s) and not extended past
   * now: sets lockedAt = now, stores a fresh random claim token on each row and returns them
   * with their tokens, oldest first (createdAt, then id). Across any number of concurrent
   * workers and processes each row is handed to exactly one claimer until its lock goes
   * stale. Never waits for rows other workers hold. `[]` when nothing is claimable.
   */
  claimBatch(options: ClaimBatchOptions): Promise<Claimed<HookEvent>[]>;
  /**
   * Marks the event delivered (deliveredAt = now) and releases its lock: it is done and never
   * claimed again. `error` records why a done event was not processed (malformed payload,
   * non-retryable failure, coalesced away) as lastError; without it lastError is cleared, as
   * the daemon's `mark_hook_outbox_delivered(id, error=None)` does. Idempotent for the token
   * that delivered it: a delivered event keeps its first deliveredAt and lastError; any other
   * token gets `ConflictError`.
   */
  markDelivered(id: number, token: string, error?: string): Promise<void>;
  /**
   * `markDelivered` for many claimed events in one transaction (one commit for a drained batch).
   * All or nothing: when one token no longer holds its event (or an id is missing) nothing is
   * marked and the error names that event.
   */
  markDeliveredMany(items: { id: number; token: string; error?: string }[]): Promise<void>;
  /**
   * Records a failed attempt: attemptCount + 1 (in SQL, so concurrent updates are not lost),
   * lastError, the next due time, lock and token released (the token is spent). When this
   * was attempt `maxAttempts` (default: none, retried for ever, as the daemon does) the event
   * goes to the dead letter: never claimed again until `redrive`. Returns where it went.
   * Throws `ConflictError` for a delivered event.
   */
  markFailed(id: number, token: string, error: string, nextAttemptAt: Date, maxAttempts?: number): Promise<'pending' | 'dead_letter'>;
  /**
   * Brings dead-lettered events back (the given ids, or all): due now, attemptCount 0,
   * lastError kept. Returns how many.
   */
  redrive(options?: RedriveOptions): Promise<number>;
  /**
   * Keeps the claim held for at least `ttlMs` from now (and the claimer's TTL from now, as a
   * fresh lock would be): a worker whose handler runs long calls it before its lock goes stale.
   */
  extend(id: number, token: string, ttlMs: number): Promise<void>;
  /** Gives the claim back (e.g. on shutdown): the event is claimable at once, attemptCount unchanged. */
  release(id: number, token: string): Promise<void>;
  /** Deletes events delivered more than `olderThanMs` ago; returns how many. */
  purgeDelivered(olderThanMs: number): Promise<number>;
  /**
   * Counts of the queue now (see `QueueStats`), with the default lock TTL deciding which
   * claims are live. Reads only.
   */
  stats(): Promise<QueueStats>;
}

export const hookOutboxRepositoryInputs: InputSchemas<HookOutboxRepository> = {
  enqueue: [['', HookEventInput]],
  get: [['id', AutoId]],
  claimBatch: [['', claimBatchOptions(HOOK_LOCK_TTL_MS)]],
  markDelivered: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['error', z.string().optional()],
  ],
  markDeliveredMany: [['items', claimedItems(ClaimedItem.extend({ error: z.string().optional() }))]],
  markFailed: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['error', z.string()],
    ['nextAttemptAt', DateInput],
    ['maxAttempts', OptionalMaxAttempts],
  ],
  redrive: [['options', RedriveOptions]],
  extend: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['ttlMs', ExtendTtlMs],
  ],
  release: [
    ['id', AutoId],
    ['token', ClaimToken],
  ],
  purgeDelivered: [['olderThanMs', DurationMs]],
  stats: [],
};
