import { z } from 'zod';
import { AutoId, DateInput, Id } from '../domain/validation.js';
import {
  MaxAttempts,
  WebhookContractInput,
  WebhookEnqueueInput,
  type WebhookContract,
  type WebhookDelivery,
} from '../domain/webhook.js';
import { claimBatchOptions, WEBHOOK_LOCK_TTL_MS, type ClaimBatchOptions } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * Webhook contracts and their delivery outbox. Deliveries: pending -> delivered |
 * dead_letter | rejected (all final). Mutations of a missing id throw `NotFoundError`;
 * a transition of a delivery that is no longer pending throws `ConflictError`.
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
   * (default 30 s), sets lockedAt = now, returns them oldest first (createdAt, then id);
   * each row goes to exactly one claimer until its lock goes stale.
   */
  claimBatch(options: ClaimBatchOptions): Promise<WebhookDelivery[]>;
  /** pending -> delivered, deliveredAt = now, lock released. */
  markDelivered(id: number): Promise<void>;
  /**
   * A failed attempt: attemptCount + 1 (in SQL), lastError, lock released. The delivery
   * stays pending, due at `nextAttemptAt`, unless this was attempt `maxAttempts` (default
   * 10): then it moves to dead_letter. Returns the new status.
   */
  markFailed(id: number, error: string, nextAttemptAt: Date, maxAttempts?: number): Promise<'pending' | 'dead_letter'>;
  /** The target refused the event for good: pending -> rejected with the error, lock released. */
  markRejected(id: number, error: string): Promise<void>;
}

export const webhookRepositoryInputs: InputSchemas<WebhookRepository> = {
  upsertContract: [['', WebhookContractInput]],
  getContract: [['id', Id]],
  deactivate: [['id', Id]],
  listContracts: [['options', z.object({ activeOnly: z.boolean().optional() }).strict().optional()]],
  enqueue: [['', WebhookEnqueueInput]],
  getDelivery: [['id', AutoId]],
  claimBatch: [['', claimBatchOptions(WEBHOOK_LOCK_TTL_MS)]],
  markDelivered: [['id', AutoId]],
  markFailed: [
    ['id', AutoId],
    ['error', z.string()],
    ['nextAttemptAt', DateInput],
    ['maxAttempts', MaxAttempts],
  ],
  markRejected: [
    ['id', AutoId],
    ['error', z.string()],
  ],
};
