import { DeletionTypeInput, MessageId, type DeletionType, type PendingDeletion } from '../domain/pending-deletion.js';
import { Id } from '../domain/validation.js';
import type { InputSchemas } from './validation.js';

/** Chat messages to delete later, per session and kind. Rows go with their session (cascade). */
export interface PendingDeletionRepository {
  /**
   * Records a message for deletion; createdAt = now. Idempotent on (sessionId, messageId,
   * deletionType): returns true when the row is new, false when it was already recorded.
   * Throws `ForeignKeyError` when the session does not exist.
   */
  add(sessionId: string, messageId: string, deletionType: DeletionType): Promise<boolean>;
  /** The pending deletions of one session and kind, oldest first (createdAt, then id). */
  list(sessionId: string, deletionType: DeletionType): Promise<PendingDeletion[]>;
  /** Removes the pending deletions of one session and kind; returns how many. */
  clear(sessionId: string, deletionType: DeletionType): Promise<number>;
}

export const pendingDeletionRepositoryInputs: InputSchemas<PendingDeletionRepository> = {
  add: [
    ['sessionId', Id],
    ['messageId', MessageId],
    ['deletionType', DeletionTypeInput],
  ],
  list: [
    ['sessionId', Id],
    ['deletionType', DeletionTypeInput],
  ],
  clear: [
    ['sessionId', Id],
    ['deletionType', DeletionTypeInput],
  ],
};
