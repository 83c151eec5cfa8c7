import { pendingDeletionFields, type DeletionType, type PendingDeletion } from '../../domain/pending-deletion.js';
import type { Clock } from '../../ports/clock.js';
import type { PendingDeletionRepository } from '../../ports/pending-deletion-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(pendingDeletionFields);
const LIST = `SELECT ${codec.columnList} FROM pending_message_deletions WHERE session_id = ? AND deletion_type = ? ORDER BY created_at, id`;

export class SqlitePendingDeletionRepository implements PendingDeletionRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  add(sessionId: string, messageId: string, deletionType: DeletionType): Promise<boolean> {
    const now = this.clock.now().getTime();
    return this.db.run(
      () =>
        this.db
          .prepare(
            `INSERT INTO pending_message_deletions (session_id, message_id, deletion_type, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (session_id, message_id, deletion_type) DO NOTHING`,
          )
          .run(sessionId, messageId, deletionType, now).changes > 0,
    );
  }

  list(sessionId: string, deletionType: DeletionType): Promise<PendingDeletion[]> {
    return this.db.run(() =>
      (this.db.prepareRaw(LIST).all(sessionId, deletionType) as unknown[][]).map((row) => codec.fromArray(row)),
    );
  }

  clear(sessionId: string, deletionType: DeletionType): Promise<number> {
    return this.db.run(
      () =>
        this.db.prepare('DELETE FROM pending_message_deletions WHERE session_id = ? AND deletion_type = ?').run(sessionId, deletionType)
          .changes,
    );
  }
}
