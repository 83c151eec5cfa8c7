import { randomUUID } from 'node:crypto';
import { newToken, sessionTokenFields, type SessionToken, type TokenIssueInput } from '../../domain/session-token.js';
import type { Clock } from '../../ports/clock.js';
import type { SessionTokenRepository } from '../../ports/session-token-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(sessionTokenFields);

export class PostgresSessionTokenRepository implements SessionTokenRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async issue(input: TokenIssueInput): Promise<SessionToken> {
    const issue = input as Parameters<typeof newToken>[0];
    const row = newToken(issue, issue.token ?? randomUUID(), this.clock.now());
    const { rows } = await this.db.query(
      `INSERT INTO session_tokens (${codec.columnList}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${codec.columnList}`,
      codec.toRow(row).params,
    );
    return codec.fromRow(rows[0]!);
  }

  async validate(token: string): Promise<SessionToken | null> {
    const { rows } = await this.db.query(
      `SELECT ${codec.columnList} FROM session_tokens WHERE token = $1 AND revoked_at IS NULL AND expires_at > $2`,
      [token, this.clock.now()],
    );
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  async revoke(token: string): Promise<boolean> {
    const { rowCount } = await this.db.query('UPDATE session_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE token = $2', [
      this.clock.now(),
      token,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async revokeAllForSession(sessionId: string): Promise<number> {
    const { rowCount } = await this.db.query('UPDATE session_tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL', [
      this.clock.now(),
      sessionId,
    ]);
    return rowCount ?? 0;
  }
}
