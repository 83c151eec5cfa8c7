import { ConflictError } from '../../domain/errors.js';
import { pendingDeletionFields, type DeletionType, type PendingDeletion } from '../../domain/pending-deletion.js';
import type { Clock } from '../../ports/clock.js';
import type { PendingDeletionRepository } from '../../ports/pending-deletion-repository.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(pendingDeletionFields);

export class MariadbPendingDeletionRepository implements PendingDeletionRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async add(sessionId: string, messageId: string, deletionType: DeletionType): Promise<boolean> {
    // Not INSERT IGNORE, which would also turn a missing session (foreign key) into a warning:
    // only the duplicate of this unique key means "already pending". A failed statement
    // leaves an enclosing transaction going.
    try {
      await this.db.query('INSERT INTO pending_message_deletions (session_id, message_id, deletion_type, created_at) VALUES (?, ?, ?, ?)', [
        sessionId,
        messageId,
        deletionType,
        this.clock.now().getTime(),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  async list(sessionId: string, deletionType: DeletionType): Promise<PendingDeletion[]> {
    const { rows } = await this.db.query(
      `SELECT ${codec.columnList} FROM pending_message_deletions WHERE session_id = ? AND deletion_type = ?
       ORDER BY created_at, id`,
      [sessionId, deletionType],
    );
    return rows.map((row) => codec.fromRow(row));
  }

  async clear(sessionId: string, deletionType: DeletionType): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM pending_message_deletions WHERE session_id = ? AND deletion_type = ?', [
      sessionId,
      deletionType,
    ]);
    return rowCount;
  }
}
