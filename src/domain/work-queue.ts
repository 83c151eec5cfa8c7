import { z } from 'zod';
import { SECOND } from './fields.js';
import { DurationMs, Limit } from './validation.js';

/** How long a hook-outbox claim holds its rows before other workers may take them over. */
export const HOOK_LOCK_TTL_MS = 30 * SECOND;
/** How long a webhook-outbox claim holds its rows before other workers may take them over. */
export const WEBHOOK_LOCK_TTL_MS = 30 * SECOND;
/** How long an inbound-queue claim holds its message before it may be claimed again. */
export const INBOUND_LOCK_TTL_MS = 300 * SECOND;

/**
 * The instant before which a lock is stale: a row locked strictly before it may be
 * claimed again. A lock exactly `ttlMs` old is still held.
 */
export function lockCutoff(now: Date, ttlMs: number): Date {
  return new Date(now.getTime() - ttlMs);
}

/** Whether a row locked at `lockedAt` (null: never locked, or released) may be claimed at `now`. */
export function isClaimable(lockedAt: Date | null, now: Date, ttlMs: number): boolean {
  return lockedAt === null || lockedAt.getTime() < lockCutoff(now, ttlMs).getTime();
}

/** Options of a batch claim: how many rows at most, and the lock TTL (default `defaultTtlMs`). */
export function claimBatchOptions(defaultTtlMs: number) {
  return z
    .object({
      limit: Limit,
      lockTtlMs: DurationMs.default(defaultTtlMs),
    })
    .strict();
}
export type ClaimBatchOptions = { limit: number; lockTtlMs?: number };

/** Claim order of the outboxes: oldest first (createdAt, then id). */
export function claimOrder(a: { createdAt: Date; id: number }, b: { createdAt: Date; id: number }): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id;
}
