import { randomUUID } from 'node:crypto';
import { newToken, sessionTokenFields, type SessionToken, type TokenIssueInput } from '../../domain/session-token.js';
import type { Clock } from '../../ports/clock.js';
import type { SessionTokenRepository } from '../../ports/session-token-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(sessionTokenFields);
const ISSUE = `INSERT INTO session_tokens (${codec.columnList}) VALUES (${codec.placeholders})
  RETURNING ${codec.columnList}`;
const VALIDATE = `SELECT ${codec.columnList} FROM session_tokens WHERE token = ? AND revoked_at IS NULL AND expires_at > ?`;

export class SqliteSessionTokenRepository implements SessionTokenRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  issue(input: TokenIssueInput): Promise<SessionToken> {
    const issue = input as Parameters<typeof newToken>[0];
    const row = newToken(issue, issue.token ?? randomUUID(), this.clock.now());
    const params = codec.toParams(row);
    return this.db.run(() => codec.fromArray(this.db.prepareRaw(ISSUE).get(params) as unknown[]));
  }

  validate(token: string): Promise<SessionToken | null> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const row = this.db.prepareRaw(VALIDATE).get(token, now) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  revoke(token: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    return this.db.run(
      () => this.db.prepare('UPDATE session_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token = ?').run(now, token).changes > 0,
    );
  }

  revokeAllForSession(sessionId: string): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.run(
      () => this.db.prepare('UPDATE session_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL').run(now, sessionId).changes,
    );
  }
}
