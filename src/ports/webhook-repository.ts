import { z } from 'zod';
import { AutoId, DateInput, DurationMs, Id } from '../domain/validation.js';
import {
  MaxAttempts,
  WebhookContractInput,
  WebhookEnqueueInput,
  type WebhookContract,
  type WebhookDelivery,
} from '../domain/webhook.js';
import {
  claimBatchOptions,
  ClaimedItem,
  claimedItems,
  ClaimToken,
  ExtendTtlMs,
  RedriveOptions,
  WEBHOOK_LOCK_TTL_MS,
  type ClaimBatchOptions,
  type Claimed,
} from '../domain/work-queue.js';
import type { QueueStats } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * Webhook contracts and their delivery outbox. Deliveries: pending -> delivered |
 * dead_letter | rejected (all final). Mutations of a missing id throw `NotFoundError`;
 * a transition of a delivery that is no longer pending throws `ConflictError`. Every mark,
 * `extend` and `release` takes the token of the claim that handed the delivery out and throws
 * `ConflictError` (changing nothing) when that claim no longer holds it (released, marked
 * failed, or claimed again by another worker after its lock went stale).
 */
export interface WebhookRepository {
  /**
   * Inserts or replaces a contract (contract, source) and makes it active; createdAt is
   * kept on replace, updatedAt = now. Returns the stored contract.
   */
  upsertContract(input: WebhookContractInput): Promise<WebhookContract>;
  /** The contract; `null` when there is none. */
  getContract(id: string): Promise<WebhookContract | null>;
  /** Marks the contract inactive (updatedAt = now) and returns it. Idempotent. */
  deactivate(id: string): Promise<WebhookContract>;
  /** Contracts ordered by id; only active ones with `activeOnly`. */
  listContracts(options?: { activeOnly?: boolean }): Promise<WebhookContract[]>;
  /**
   * Appends a pending delivery, due at `nextAttemptAt` (default now); returns its id.
   * Throws `ForeignKeyError` when the contract does not exist.
   */
  enqueue(input: WebhookEnqueueInput): Promise<number>;
  /** The delivery; `null` when there is none. */
  getDelivery(id: number): Promise<WebhookDelivery | null>;
  /**
   * Same guarantees as `HookOutboxRepository.claimBatch`: atomically claims up to `limit`
   * pending deliveries that are due and unlocked or whose lock is older than `lockTtlMs`
   * (default 30 s) and not extended past now, sets lockedAt = now and a fresh claim token per
   * row, returns them with their tokens oldest first (createdAt, then id); each row goes to
   * exactly one claimer until its lock goes stale.
   */
  claimBatch(options: ClaimBatchOptions): Promise<Claimed<WebhookDelivery>[]>;
  /** pending -> delivered, deliveredAt = now, lock released. */
  markDelivered(id: number, token: string): Promise<void>;
  /** `markDelivered` for many claimed deliveries in one transaction; all or nothing. */
  markDeliveredMany(items: { id: number; token: string }[]): Promise<void>;
  /**
   * A failed attempt: attemptCount + 1 (in SQL), lastError, lock released. The delivery
   * stays pending, due at `nextAttemptAt`, unless this was attempt `maxAttempts` (default
   * 10): then it moves to dead_letter. Returns the new status. The token is spent.
   */
  markFailed(id: number, token: string, error: string, nextAttemptAt: Date, maxAttempts?: number): Promise<'pending' | 'dead_letter'>;
  /** The target refused the event for good: pending -> rejected with the error, lock released. */
  markRejected(id: number, token: string, error: string): Promise<void>;
  /** Keeps the claim held for at least `ttlMs` from now (and the claimer's TTL from now). */
  extend(id: number, token: string, ttlMs: number): Promise<void>;
  /** Gives the claim back: the delivery is claimable at once, attemptCount unchanged. */
  release(id: number, token: string): Promise<void>;
  /** Brings dead_letter deliveries back to pending (the given ids, or all): due now, attemptCount 0, lastError kept. Returns how many. */
  redrive(options?: RedriveOptions): Promise<number>;
  /**
   * Retention: deletes delivered, rejected and dead_letter deliveries finished (delivered,
   * or else created) more than `olderThanMs` ago; returns how many.
   */
  purge(olderThanMs: number): Promise<number>;
  /**
   * Counts of the queue now (see `QueueStats`), with the default lock TTL deciding which
   * claims are live. Reads only.
   */
  stats(): Promise<QueueStats>;
}

export const webhookRepositoryInputs: InputSchemas<WebhookRepository> = {
  upsertContract: [['', WebhookContractInput]],
  getContract: [['id', Id]],
  deactivate: [['id', Id]],
  listContracts: [['options', z.object({ activeOnly: z.boolean().optional() }).strict().optional()]],
  enqueue: [['', WebhookEnqueueInput]],
  getDelivery: [['id', AutoId]],
  claimBatch: [['', claimBatchOptions(WEBHOOK_LOCK_TTL_MS)]],
  markDelivered: [
    ['id', AutoId],
    ['token', ClaimToken],
  ],
  markDeliveredMany: [['items', claimedItems(ClaimedItem)]],
  markFailed: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['error', z.string()],
    ['nextAttemptAt', DateInput],
    ['maxAttempts', MaxAttempts],
  ],
  markRejected: [
    ['id', AutoId],
    ['token', ClaimToken],
    ['error', z.string()],
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
  redrive: [['options', RedriveOptions]],
  purge: [['olderThanMs', DurationMs]],
  stats: [],
};
