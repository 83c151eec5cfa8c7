import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { DateInput, Id, JsonObject } from './validation.js';

/** A webhook subscription: which events go where (the shape of `contract` belongs to the daemon). */
export interface WebhookContract {
  id: string;
  contract: Record<string, unknown>;
  active: boolean;
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

export const webhookContractFields: FieldKinds<WebhookContract> = {
  id: 'text',
  contract: 'json',
  active: 'bool',
  source: 'text',
  createdAt: 'time',
  updatedAt: 'time',
};

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead_letter', 'rejected'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event to POST to one contract's target. */
export interface WebhookDelivery {
  id: number;
  contractId: string;
  event: Record<string, unknown>;
  targetUrl: string;
  targetSecret: string | null;
  status: DeliveryStatus;
  createdAt: Date;
  deliveredAt: Date | null;
  attemptCount: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lockedAt: Date | null;
}

export const webhookDeliveryFields: FieldKinds<WebhookDelivery> = {
  id: 'int',
  contractId: 'text',
  event: 'json',
  targetUrl: 'text',
  targetSecret: 'text',
  status: 'text',
  createdAt: 'time',
  deliveredAt: 'time',
  attemptCount: 'int',
  nextAttemptAt: 'time',
  lastError: 'text',
  lockedAt: 'time',
};

/** Input of `WebhookRepository.upsertContract`. */
export const WebhookContractInput = z
  .object({ id: Id, contract: JsonObject, source: z.string().min(1, 'must not be empty').default('api') })
  .strict();
export type WebhookContractInput = z.input<typeof WebhookContractInput>;

/** Input of `WebhookRepository.enqueue`; `nextAttemptAt` defaults to now (due at once). */
export const WebhookEnqueueInput = z
  .object({
    contractId: Id,
    event: JsonObject,
    targetUrl: z.url({ error: 'must be a URL' }),
    targetSecret: z.string().nullable().optional(),
    nextAttemptAt: DateInput.optional(),
  })
  .strict();
export type WebhookEnqueueInput = z.input<typeof WebhookEnqueueInput>;

/** Failed attempts after which a delivery is given up (moved to `dead_letter`). */
export const WEBHOOK_MAX_ATTEMPTS = 10;

/** Whether a delivery that has now failed `attemptCount` times is dead-lettered. */
export function isDeadLetter(attemptCount: number, maxAttempts: number = WEBHOOK_MAX_ATTEMPTS): boolean {
  return attemptCount >= maxAttempts;
}

export const MaxAttempts = z.number().int('must be an integer').positive('must be positive').default(WEBHOOK_MAX_ATTEMPTS);
