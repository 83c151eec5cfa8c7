import { z } from 'zod';
import { SECOND } from './fields.js';
import { DurationMs, isNonEmptyText, Limit, quickCheck } from './validation.js';

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

/**
 * A claimed row with the token of its claim. The token is a fresh random value stored on the
 * row by the claim; every later mark, `extend` and `release` of that row must present it and
 * succeeds only while the row still carries it, so a worker whose claim was taken over (its lock
 * went stale and another worker claimed the row) can no longer change the row.
 */
export type Claimed<T> = T & { claimToken: string };

/** A claim token as passed back to the queue. */
export const ClaimToken = quickCheck(z.string().min(1, 'must not be empty'), isNonEmptyText);

/** How long `extend` keeps a claim held from now. */
export const ExtendTtlMs = DurationMs.refine((ms) => ms > 0, 'must be positive');

/** One row of a batch completion: its id and the token of the claim that holds it. */
export const ClaimedItem = z.object({ id: z.number().int('must be an integer').positive('must be positive'), token: ClaimToken }).strict();
export type ClaimedItem = z.infer<typeof ClaimedItem>;

/** Items of a batch completion: at least one, at most 10000, each id once. */
export function claimedItems<T extends z.ZodType<{ id: number }>>(item: T) {
  return z
    .array(item)
    .min(1, 'must not be empty')
    .max(10_000, 'must hold at most 10000 items')
    .refine((items) => new Set(items.map((i) => i.id)).size === items.length, 'must not repeat an id');
}

/** The message of the ConflictError a stale or foreign claim token gets. */
export function notHeldMessage(what: string, id: number): string {
  return `${what} ${id} is not held by this claim token (the claim was released, finished or taken over after its lock went stale)`;
}

/**
 * What a queue holds now. `ready`: claimable and due; `scheduled`: waiting for a retry time
 * (or a start time, or, in the inbound queue, behind an in-flight message of its session);
 * `inFlight`: held by a live claim; `failed`: unfinished rows that have
 * failed at least once (they are also counted as ready, scheduled or in flight); `dead`:
 * rows given up on (dead letter, stale operations), 0 on a queue without a dead letter;
 * `oldestReadyAgeMs`: how long the oldest ready row has been due, `null` when none is ready.
 */
export interface QueueStats {
  ready: number;
  scheduled: number;
  inFlight: number;
  failed: number;
  dead: number;
  oldestReadyAgeMs: number | null;
}

/** A stats row as the adapters select it (counts may come back as strings or bigints). */
export function toQueueStats(row: Record<string, unknown>): QueueStats {
  const n = (v: unknown) => Number(v ?? 0);
  return {
    ready: n(row.ready),
    scheduled: n(row.scheduled),
    inFlight: n(row.in_flight),
    failed: n(row.failed),
    dead: n(row.dead),
    oldestReadyAgeMs: row.oldest_ready_age_ms === null || row.oldest_ready_age_ms === undefined ? null : Math.max(0, Math.round(Number(row.oldest_ready_age_ms))),
  };
}

/** Attempts after which a failed row goes to the dead letter; without it, a queue retries for ever. */
export const OptionalMaxAttempts = z.number().int('must be an integer').positive('must be positive').optional();

/** Which dead rows `redrive` brings back: the given ids, or all of them. */
export const RedriveOptions = z
  .object({ ids: z.array(z.number().int('must be an integer').positive('must be positive')).min(1, 'must not be empty').max(10_000).optional() })
  .strict()
  .default({});
export type RedriveOptions = z.input<typeof RedriveOptions>;
