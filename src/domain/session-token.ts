import { z } from 'zod';
import { HOUR, type FieldKinds } from './fields.js';
import { DurationMs, Id } from './validation.js';

/** A bearer token a session's agent uses to call the daemon's API as a principal. */
export interface SessionToken {
  token: string;
  sessionId: string;
  principal: string;
  role: string;
  issuedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export const sessionTokenFields: FieldKinds<SessionToken> = {
  token: 'text',
  sessionId: 'text',
  principal: 'text',
  role: 'text',
  issuedAt: 'time',
  expiresAt: 'time',
  revokedAt: 'time',
};

export const DEFAULT_TOKEN_TTL_MS = 24 * HOUR;

export const TokenIssueInput = z
  .object({
    sessionId: Id,
    principal: z.string().regex(/^(human|system):.+$/, 'must look like human:<email> or system:<id>'),
    role: z.string().min(1, 'must not be empty'),
    ttlMs: DurationMs.positive('must be positive').default(DEFAULT_TOKEN_TTL_MS),
    token: Id.optional(),
  })
  .strict();
export type TokenIssueInput = z.input<typeof TokenIssueInput>;

export const TokenValue = z.string({ error: 'must be a string' });

/** The row of a new token: issuedAt = now, expiresAt = now + ttlMs. */
export function newToken(input: z.output<typeof TokenIssueInput>, token: string, now: Date): SessionToken {
  return {
    token,
    sessionId: input.sessionId,
    principal: input.principal,
    role: input.role,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + input.ttlMs),
    revokedAt: null,
  };
}
