import { z } from 'zod';
import { HookEventInput, type HookEvent } from '../domain/hook-outbox.js';
import { AutoId, DateInput, DurationMs } from '../domain/validation.js';
import { claimBatchOptions, HOOK_LOCK_TTL_MS, type ClaimBatchOptions } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * The hook outbox: events the hook receiver process writes and daemon workers process.
 * A work queue: any number of workers in any number of processes may claim from it.
 * Mutations of a missing id throw `NotFoundError`.
 */
export interface HookOutboxRepository {
  /** Appends an event, due at `nextAttemptAt` (default now); returns its id. */
  enqueue(input: HookEventInput): Promise<number>;
  /** The event with this id; `null` when there is none. */
  get(id: number): Promise<HookEvent | null>;
  /**
   * Atomically claims up to `limit` undelivered events that are due (nextAttemptAt <= now)
   * and unlocked, or whose lock is older than `lockTtlMs` (default 30 s): sets lockedAt = now
   * and returns them oldest first (createdAt, then id). Across any number of concurrent
   * workers and processes each row is handed to exactly one claimer until its lock goes
   * stale. Never waits for rows other workers hold. `[]` when nothing is claimable.
   */
  claimBatch(options: ClaimBatchOptions): Promise<HookEvent[]>;
  /**
   * Marks the event delivered (deliveredAt = now) and releases its lock: it is done and never
   * claimed again. `error` records why a done event was not processed (malformed payload,
   * non-retryable failure, coalesced away) as lastError; without it lastError is cleared, as
   * the daemon's `mark_hook_outbox_delivered(id, error=None)` does. Idempotent: a delivered
   * event keeps its first deliveredAt and lastError.
   */
  markDelivered(id: number, error?: string): Promise<void>;
  /**
   * Records a failed attempt: attemptCount + 1 (in SQL, so concurrent updates are not lost),
   * lastError, the next due time, lock released. Throws `ConflictError` for a delivered event.
   */
  markFailed(id: number, error: string, nextAttemptAt: Date): Promise<void>;
  /** Deletes events delivered more than `olderThanMs` ago; returns how many. */
  purgeDelivered(olderThanMs: number): Promise<number>;
}

export const hookOutboxRepositoryInputs: InputSchemas<HookOutboxRepository> = {
  enqueue: [['', HookEventInput]],
  get: [['id', AutoId]],
  claimBatch: [['', claimBatchOptions(HOOK_LOCK_TTL_MS)]],
  markDelivered: [
    ['id', AutoId],
    ['error', z.string().optional()],
  ],
  markFailed: [
    ['id', AutoId],
    ['error', z.string()],
    ['nextAttemptAt', DateInput],
  ],
  purgeDelivered: [['olderThanMs', DurationMs]],
};
