import { randomUUID } from 'node:crypto';
import { newToken, sessionTokenFields, type SessionToken, type TokenIssueInput } from '../../domain/session-token.js';
import type { Clock } from '../../ports/clock.js';
import type { SessionTokenRepository } from '../../ports/session-token-repository.js';
import { MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(sessionTokenFields);

export class MariadbSessionTokenRepository implements SessionTokenRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async issue(input: TokenIssueInput): Promise<SessionToken> {
    const issue = input as Parameters<typeof newToken>[0];
    const row = newToken(issue, issue.token ?? randomUUID(), this.clock.now());
    const { columns, params } = codec.toRow(row);
    const { rows } = await this.db.query(
      `INSERT INTO session_tokens (${columns.join(', ')}) VALUES (${placeholders(columns.length)}) RETURNING ${codec.columnList}`,
      params,
    );
    return codec.fromRow(rows[0]!);
  }

  async validate(token: string): Promise<SessionToken | null> {
    const { rows } = await this.db.query(
      `SELECT ${codec.columnList} FROM session_tokens WHERE token = ? AND revoked_at IS NULL AND expires_at > ?`,
      [token, this.clock.now().getTime()],
    );
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  async revoke(token: string): Promise<boolean> {
    const { rowCount } = await this.db.query('UPDATE session_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token = ?', [
      this.clock.now().getTime(),
      token,
    ]);
    return rowCount > 0;
  }

  async revokeAllForSession(sessionId: string): Promise<number> {
    const { rowCount } = await this.db.query('UPDATE session_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL', [
      this.clock.now().getTime(),
      sessionId,
    ]);
    return rowCount;
  }
}
