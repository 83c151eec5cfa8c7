import { z } from 'zod';
import { type FieldKinds } from './fields.js';

export const DELETION_TYPES = ['user_input', 'feedback'] as const;
export type DeletionType = (typeof DELETION_TYPES)[number];

/** A chat message the daemon must delete later (user input or feedback of a session). */
export interface PendingDeletion {
  id: number;
  sessionId: string;
  messageId: string;
  deletionType: DeletionType;
  createdAt: Date;
}

export const pendingDeletionFields: FieldKinds<PendingDeletion> = {
  id: 'int',
  sessionId: 'text',
  messageId: 'text',
  deletionType: 'text',
  createdAt: 'time',
};

export const DeletionTypeInput = z.enum(DELETION_TYPES);
export const MessageId = z.string().min(1, 'must not be empty');
