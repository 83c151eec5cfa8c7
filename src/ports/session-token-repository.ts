import { TokenIssueInput, TokenValue, type SessionToken } from '../domain/session-token.js';
import { Id } from '../domain/validation.js';
import type { InputSchemas } from './validation.js';

/** API tokens of sessions. Tokens go with their session (cascade). Validity is judged by the injected clock. */
export interface SessionTokenRepository {
  /**
   * Issues a token (a new uuid unless given): issuedAt = now, expiresAt = now + ttlMs
   * (default 24 h). Throws `ForeignKeyError` when the session does not exist,
   * `ConflictError` when the token exists.
   */
  issue(input: TokenIssueInput): Promise<SessionToken>;
  /** The token row when it exists, is not revoked and expiresAt is after now; else `null`. */
  validate(token: string): Promise<SessionToken | null>;
  /** Revokes one token (revokedAt = now; a second revoke keeps the first); returns whether it exists. */
  revoke(token: string): Promise<boolean>;
  /** Revokes every unrevoked token of the session; returns how many. */
  revokeAllForSession(sessionId: string): Promise<number>;
}

export const sessionTokenRepositoryInputs: InputSchemas<SessionTokenRepository> = {
  issue: [['', TokenIssueInput]],
  validate: [['token', TokenValue]],
  revoke: [['token', TokenValue]],
  revokeAllForSession: [['sessionId', Id]],
};
