import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { Id, JsonObject } from './validation.js';

export const LINK_MODES = ['direct_link', 'gathering_link'] as const;
export type LinkMode = (typeof LINK_MODES)[number];
export const LINK_STATUSES = ['active', 'closed'] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

/** A conversation between sessions: a direct link of two, or a gathering of several. */
export interface ConversationLink {
  linkId: string;
  mode: LinkMode;
  status: LinkStatus;
  createdBySessionId: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export const conversationLinkFields: FieldKinds<ConversationLink> = {
  linkId: 'text',
  mode: 'text',
  status: 'text',
  createdBySessionId: 'text',
  metadata: 'json',
  createdAt: 'time',
  updatedAt: 'time',
  closedAt: 'time',
};

/** One session taking part in a link. */
export interface LinkMember {
  linkId: string;
  sessionId: string;
  participantName: string | null;
  participantNumber: number | null;
  participantRole: string | null;
  computerName: string | null;
  joinedAt: Date;
}

export const linkMemberFields: FieldKinds<LinkMember> = {
  linkId: 'text',
  sessionId: 'text',
  participantName: 'text',
  participantNumber: 'int',
  participantRole: 'text',
  computerName: 'text',
  joinedAt: 'time',
};

const optionalText = z.string().nullable().optional();

export const LinkCreateInput = z
  .object({
    linkId: Id.optional(),
    mode: z.enum(LINK_MODES),
    createdBySessionId: optionalText,
    metadata: JsonObject.optional(),
  })
  .strict();
export type LinkCreateInput = z.input<typeof LinkCreateInput>;

export const MemberInput = z
  .object({
    sessionId: Id,
    participantName: optionalText,
    participantNumber: z.number().int('must be an integer').nullable().optional(),
    participantRole: optionalText,
    computerName: optionalText,
  })
  .strict();
export type MemberInput = z.input<typeof MemberInput>;

/** Members of one new link: session ids must be distinct. */
export const MemberInputs = z.array(MemberInput).superRefine((members, ctx) => {
  const seen = new Set<string>();
  members.forEach((m, i) => {
    if (seen.has(m.sessionId)) ctx.addIssue({ code: 'custom', path: [i, 'sessionId'], message: 'is listed twice' });
    seen.add(m.sessionId);
  });
});

export const LinkStatusInput = z.enum(LINK_STATUSES);

/** The row of a new link: status active, createdAt = updatedAt = now. */
export function newLink(input: z.output<typeof LinkCreateInput>, linkId: string, now: Date): ConversationLink {
  return {
    linkId,
    mode: input.mode,
    status: 'active',
    createdBySessionId: input.createdBySessionId ?? null,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
    closedAt: null,
  };
}

/** The row of a member joining at `now`. */
export function newMember(linkId: string, input: z.output<typeof MemberInput>, now: Date): LinkMember {
  return {
    linkId,
    sessionId: input.sessionId,
    participantName: input.participantName ?? null,
    participantNumber: input.participantNumber ?? null,
    participantRole: input.participantRole ?? null,
    computerName: input.computerName ?? null,
    joinedAt: now,
  };
}
