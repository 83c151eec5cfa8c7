import { z } from 'zod';
import {
  LINK_MODES,
  LinkCreateInput,
  LinkStatusInput,
  MemberInput,
  MemberInputs,
  type ConversationLink,
  type LinkMember,
  type LinkMode,
  type LinkStatus,
} from '../domain/conversation-link.js';
import { Id } from '../domain/validation.js';
import type { InputSchemas } from './validation.js';

/**
 * Conversations between sessions and their members. Mutations of a missing link throw
 * `NotFoundError`; link listings are ordered by createdAt descending, then linkId.
 */
export interface ConversationLinkRepository {
  /**
   * Creates an active link (linkId = a new uuid unless given; createdAt = updatedAt = now)
   * with its members (joinedAt = now) in one transaction: all rows or none. Throws
   * `ConflictError` when the linkId exists.
   */
  create(link: LinkCreateInput, members: MemberInput[]): Promise<ConversationLink>;
  /** The link, active or closed; `null` when there is none. */
  get(linkId: string): Promise<ConversationLink | null>;
  /** Members of the link ordered by participantNumber (nulls last), then joinedAt, then sessionId; [] for an unknown link. */
  members(linkId: string): Promise<LinkMember[]>;
  /** Active links that `sessionId` is a member of. */
  activeLinksForSession(sessionId: string): Promise<ConversationLink[]>;
  /**
   * Active links that both sessions are members of, of one `mode` when given (the daemon's
   * `get_active_links_between_sessions(a, b, mode=...)`: a direct link and a gathering of
   * the same two sessions are different conversations). Newest first, like every listing
   * here: the daemon's `get_active_link_between_sessions` (its oldest) is the last element.
   */
  linksBetween(sessionA: string, sessionB: string, mode?: LinkMode): Promise<ConversationLink[]>;
  /**
   * Adds the member or updates its name, number, role and computer, in one atomic upsert
   * (joinedAt is kept on update). Throws `ForeignKeyError` when the link does not exist.
   */
  upsertMember(linkId: string, member: MemberInput): Promise<LinkMember>;
  /** Removes one member; returns whether it was a member. */
  removeMember(linkId: string, sessionId: string): Promise<boolean>;
  /**
   * Sets the status; updatedAt = now. Closing stamps closedAt = now (a second close keeps
   * the first); reactivating clears closedAt. Returns the link.
   */
  setStatus(linkId: string, status: LinkStatus): Promise<ConversationLink>;
  /** Closes the link (as `setStatus(closed)`) and removes all its members, atomically. Idempotent. */
  sever(linkId: string): Promise<ConversationLink>;
  /**
   * Removes every membership of the session; an active link left with fewer than two
   * members is severed (closed, its last member removed). Atomic. Returns how many
   * memberships of the session were removed.
   */
  cleanupForSession(sessionId: string): Promise<number>;
}

export const conversationLinkRepositoryInputs: InputSchemas<ConversationLinkRepository> = {
  create: [
    ['link', LinkCreateInput],
    ['members', MemberInputs],
  ],
  get: [['linkId', Id]],
  members: [['linkId', Id]],
  activeLinksForSession: [['sessionId', Id]],
  linksBetween: [
    ['sessionA', Id],
    ['sessionB', Id],
    ['mode', z.enum(LINK_MODES).optional()],
  ],
  upsertMember: [
    ['linkId', Id],
    ['member', MemberInput],
  ],
  removeMember: [
    ['linkId', Id],
    ['sessionId', Id],
  ],
  setStatus: [
    ['linkId', Id],
    ['status', LinkStatusInput],
  ],
  sever: [['linkId', Id]],
  cleanupForSession: [['sessionId', Id]],
};
