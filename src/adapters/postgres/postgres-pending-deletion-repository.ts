import { pendingDeletionFields, type DeletionType, type PendingDeletion } from '../../domain/pending-deletion.js';
import type { Clock } from '../../ports/clock.js';
import type { PendingDeletionRepository } from '../../ports/pending-deletion-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(pendingDeletionFields);

export class PostgresPendingDeletionRepository implements PendingDeletionRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async add(sessionId: string, messageId: string, deletionType: DeletionType): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO pending_message_deletions (session_id, message_id, deletion_type, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (session_id, message_id, deletion_type) DO NOTHING`,
      [sessionId, messageId, deletionType, this.clock.now()],
    );
    return (rowCount ?? 0) > 0;
  }

  async list(sessionId: string, deletionType: DeletionType): Promise<PendingDeletion[]> {
    const { rows } = await this.db.query(
      `SELECT ${codec.columnList} FROM pending_message_deletions WHERE session_id = $1 AND deletion_type = $2
       ORDER BY created_at, id`,
      [sessionId, deletionType],
    );
    return rows.map((row) => codec.fromRow(row));
  }

  async clear(sessionId: string, deletionType: DeletionType): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM pending_message_deletions WHERE session_id = $1 AND deletion_type = $2', [
      sessionId,
      deletionType,
    ]);
    return rowCount ?? 0;
  }
}
