import { describe, expect, it } from 'vitest';
import { INBOUND_BACKOFF_MS, inboundRetryDelayMs } from '../../src/domain/inbound-queue.js';
import { isDeadLetter, WEBHOOK_MAX_ATTEMPTS } from '../../src/domain/webhook.js';
import {
  claimOrder,
  HOOK_LOCK_TTL_MS,
  INBOUND_LOCK_TTL_MS,
  isClaimable,
  lockCutoff,
  WEBHOOK_LOCK_TTL_MS,
} from '../../src/domain/work-queue.js';

describe('inbound retry backoff', () => {
  it('waits 5, 10, 20, 40, 80, 160 and 300 s after the 1st to 7th failure', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(inboundRetryDelayMs)).toEqual([5, 10, 20, 40, 80, 160, 300].map((s) => s * 1000));
  });

  it('stays at 300 s after the 7th failure', () => {
    expect(inboundRetryDelayMs(8)).toBe(300_000);
    expect(inboundRetryDelayMs(1000)).toBe(300_000);
  });

  it('refuses an attempt count below 1 as a programming error', () => {
    expect(() => inboundRetryDelayMs(0)).toThrow(TypeError);
    expect(() => inboundRetryDelayMs(1.5)).toThrow(TypeError);
  });

  it('the schedule handed to SQL is the same policy, indexed by failures so far', () => {
    expect(INBOUND_BACKOFF_MS).toEqual([5000, 10000, 20000, 40000, 80000, 160000, 300000]);
  });
});

describe('webhook dead-letter', () => {
  it('dead-letters on the 10th failed attempt by default, not before', () => {
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(10);
    expect(isDeadLetter(9)).toBe(false);
    expect(isDeadLetter(10)).toBe(true);
    expect(isDeadLetter(11)).toBe(true);
  });

  it('honours a custom maximum', () => {
    expect(isDeadLetter(2, 3)).toBe(false);
    expect(isDeadLetter(3, 3)).toBe(true);
  });
});

describe('claim locks', () => {
  const now = new Date('2026-03-15T12:00:00.000Z');

  it('default TTLs: hook and webhook claims 30 s, inbound claims 300 s', () => {
    expect(HOOK_LOCK_TTL_MS).toBe(30_000);
    expect(WEBHOOK_LOCK_TTL_MS).toBe(30_000);
    expect(INBOUND_LOCK_TTL_MS).toBe(300_000);
  });

  it('a lock is stale only when strictly older than the TTL', () => {
    expect(lockCutoff(now, 30_000)).toEqual(new Date('2026-03-15T11:59:30.000Z'));
    expect(isClaimable(null, now, 30_000)).toBe(true);
    expect(isClaimable(new Date(now.getTime() - 29_999), now, 30_000)).toBe(false);
    expect(isClaimable(new Date(now.getTime() - 30_000), now, 30_000)).toBe(false);
    expect(isClaimable(new Date(now.getTime() - 30_001), now, 30_000)).toBe(true);
  });

  it('claims are ordered oldest first, ties broken by id', () => {
    const at = (ms: number, id: number) => ({ createdAt: new Date(ms), id });
    expect([at(2, 1), at(1, 3), at(1, 2)].sort(claimOrder)).toEqual([at(1, 2), at(1, 3), at(2, 1)]);
  });
});
