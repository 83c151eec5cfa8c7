import { z } from 'zod';
import { type FieldKinds, withFields } from './fields.js';
import { DateInput, Id, JsonObject, Limit, LIMIT_MAX, optional, quick, quickObject, quickParse, type QuickParser } from './validation.js';

export const LIFECYCLE_STATUSES = ['initializing', 'active', 'headless', 'closing', 'closed'] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

/** A coding-agent session running (or once run) in tmux on one computer. */
export interface Session {
  id: string;
  computerName: string;
  title: string;
  tmuxSessionName: string | null;
  lastInputOrigin: string;
  lifecycleStatus: LifecycleStatus;
  adapterMetadata: Record<string, unknown>;
  sessionMetadata: Record<string, unknown>;
  projectPath: string | null;
  subdir: string | null;
  description: string | null;
  terminalSize: string;
  initiatedByAi: boolean;
  initiatorSessionId: string | null;
  outputMessageId: string | null;
  notificationSent: boolean;
  nativeSessionId: string | null;
  nativeLogFile: string | null;
  activeAgent: string | null;
  thinkingMode: string | null;
  tuiLogFile: string | null;
  tuiCaptureStarted: boolean;
  lastMessageSent: string | null;
  lastMessageSentAt: Date | null;
  lastOutputRaw: string | null;
  lastOutputAt: Date | null;
  lastOutputSummary: string | null;
  lastOutputDigest: string | null;
  lastToolUseAt: Date | null;
  lastToolDoneAt: Date | null;
  lastCheckpointAt: Date | null;
  workingSlug: string | null;
  humanEmail: string | null;
  humanRole: string | null;
  lastMemoryExtractionAt: Date | null;
  helpDeskProcessedAt: Date | null;
  relayStatus: string | null;
  relayDiscordChannelId: string | null;
  relayStartedAt: Date | null;
  charOffset: number;
  transcriptFiles: string[];
  visibility: string;
  principal: string | null;
  turnTriggeredByLinkedOutput: boolean;
  ownerPerson: string | null;
  ownerUid: number | null;
  createdAt: Date;
  lastActivity: Date;
  closedAt: Date | null;
}

export const sessionFields: FieldKinds<Session> = {
  id: 'text',
  computerName: 'text',
  title: 'text',
  tmuxSessionName: 'text',
  lastInputOrigin: 'text',
  lifecycleStatus: 'text',
  adapterMetadata: 'json',
  sessionMetadata: 'json',
  projectPath: 'text',
  subdir: 'text',
  description: 'text',
  terminalSize: 'text',
  initiatedByAi: 'bool',
  initiatorSessionId: 'text',
  outputMessageId: 'text',
  notificationSent: 'bool',
  nativeSessionId: 'text',
  nativeLogFile: 'text',
  activeAgent: 'text',
  thinkingMode: 'text',
  tuiLogFile: 'text',
  tuiCaptureStarted: 'bool',
  lastMessageSent: 'text',
  lastMessageSentAt: 'time',
  lastOutputRaw: 'text',
  lastOutputAt: 'time',
  lastOutputSummary: 'text',
  lastOutputDigest: 'text',
  lastToolUseAt: 'time',
  lastToolDoneAt: 'time',
  lastCheckpointAt: 'time',
  workingSlug: 'text',
  humanEmail: 'text',
  humanRole: 'text',
  lastMemoryExtractionAt: 'time',
  helpDeskProcessedAt: 'time',
  relayStatus: 'text',
  relayDiscordChannelId: 'text',
  relayStartedAt: 'time',
  charOffset: 'int',
  transcriptFiles: 'json',
  visibility: 'text',
  principal: 'text',
  turnTriggeredByLinkedOutput: 'bool',
  ownerPerson: 'text',
  ownerUid: 'int',
  createdAt: 'time',
  lastActivity: 'time',
  closedAt: 'time',
};

const text = z.string();
const optionalText = text.nullable().optional();
const optionalTime = DateInput.nullable().optional();
const PRINCIPAL = /^(human|system):.+$/;
const TERMINAL_SIZE = /^\d+x\d+$/;
const principal = z
  .string()
  .regex(PRINCIPAL, 'must look like human:<email> or system:<id>')
  .nullable()
  .optional();

/** Every field a caller may write, all optional; `create` and `update` build on it. */
const writableFields = {
  computerName: z.string().min(1, 'must not be empty'),
  title: text,
  tmuxSessionName: optionalText,
  lastInputOrigin: z.string().min(1, 'must not be empty'),
  lifecycleStatus: z.enum(LIFECYCLE_STATUSES),
  adapterMetadata: JsonObject,
  sessionMetadata: JsonObject,
  projectPath: optionalText,
  subdir: optionalText,
  description: optionalText,
  terminalSize: z.string().regex(TERMINAL_SIZE, 'must look like <columns>x<rows>, e.g. 80x24'),
  initiatedByAi: z.boolean(),
  initiatorSessionId: optionalText,
  outputMessageId: optionalText,
  notificationSent: z.boolean(),
  nativeSessionId: optionalText,
  nativeLogFile: optionalText,
  activeAgent: optionalText,
  thinkingMode: optionalText,
  tuiLogFile: optionalText,
  tuiCaptureStarted: z.boolean(),
  lastMessageSent: optionalText,
  lastMessageSentAt: optionalTime,
  lastOutputRaw: optionalText,
  lastOutputAt: optionalTime,
  lastOutputSummary: optionalText,
  lastOutputDigest: optionalText,
  lastToolUseAt: optionalTime,
  lastToolDoneAt: optionalTime,
  lastCheckpointAt: optionalTime,
  workingSlug: optionalText,
  humanEmail: optionalText,
  humanRole: optionalText,
  lastMemoryExtractionAt: optionalTime,
  helpDeskProcessedAt: optionalTime,
  relayStatus: optionalText,
  relayDiscordChannelId: optionalText,
  relayStartedAt: optionalTime,
  charOffset: z.number().int('must be an integer').nonnegative('must not be negative'),
  transcriptFiles: z.array(z.string()),
  visibility: z.string().min(1, 'must not be empty'),
  principal,
  turnTriggeredByLinkedOutput: z.boolean(),
  ownerPerson: optionalText,
  ownerUid: z.number().int('must be an integer').nullable().optional(),
  lastActivity: DateInput,
  closedAt: optionalTime,
};

/** Input of `SessionRepository.create`: only `computerName` is required. */
export const SessionCreateInput = z
  .object({ ...writableFields, id: Id })
  .partial()
  .required({ computerName: true })
  .strict();
export type SessionCreateInput = z.input<typeof SessionCreateInput>;

/** The quick parser of each writable field (see quickObject), as `writableFields` declares it. */
const writableQuick: { [K in keyof typeof writableFields]: QuickParser } = {
  computerName: quick.nonEmptyText,
  title: quick.text,
  tmuxSessionName: quick.nullableText,
  lastInputOrigin: quick.nonEmptyText,
  lifecycleStatus: quick.oneOf(LIFECYCLE_STATUSES),
  adapterMetadata: quick.jsonObject,
  sessionMetadata: quick.jsonObject,
  projectPath: quick.nullableText,
  subdir: quick.nullableText,
  description: quick.nullableText,
  terminalSize: quick.matching(TERMINAL_SIZE),
  initiatedByAi: quick.boolean,
  initiatorSessionId: quick.nullableText,
  outputMessageId: quick.nullableText,
  notificationSent: quick.boolean,
  nativeSessionId: quick.nullableText,
  nativeLogFile: quick.nullableText,
  activeAgent: quick.nullableText,
  thinkingMode: quick.nullableText,
  tuiLogFile: quick.nullableText,
  tuiCaptureStarted: quick.boolean,
  lastMessageSent: quick.nullableText,
  lastMessageSentAt: quick.date(true),
  lastOutputRaw: quick.nullableText,
  lastOutputAt: quick.date(true),
  lastOutputSummary: quick.nullableText,
  lastOutputDigest: quick.nullableText,
  lastToolUseAt: quick.date(true),
  lastToolDoneAt: quick.date(true),
  lastCheckpointAt: quick.date(true),
  workingSlug: quick.nullableText,
  humanEmail: quick.nullableText,
  humanRole: quick.nullableText,
  lastMemoryExtractionAt: quick.date(true),
  helpDeskProcessedAt: quick.date(true),
  relayStatus: quick.nullableText,
  relayDiscordChannelId: quick.nullableText,
  relayStartedAt: quick.date(true),
  charOffset: quick.integer(0),
  transcriptFiles: quick.textArray,
  visibility: quick.nonEmptyText,
  principal: quick.matching(PRINCIPAL, true),
  turnTriggeredByLinkedOutput: quick.boolean,
  ownerPerson: quick.nullableText,
  ownerUid: quick.integer(-Infinity, true),
  lastActivity: quick.date(),
  closedAt: quick.date(true),
};

const sessionPatchObject = z.object(writableFields).partial().strict();

/** Input of `SessionRepository.update`: any writable field; unknown keys are refused. */
export const SessionPatch = quickParse(
  sessionPatchObject.refine((patch) => Object.keys(patch).length > 0, 'must set at least one field'),
  quickObject(
    sessionPatchObject,
    Object.fromEntries(Object.entries(writableQuick).map(([key, parse]) => [key, optional(parse)])),
    { nonEmpty: true },
  ),
);
export type SessionPatch = z.input<typeof SessionPatch>;

/** Every field of a session, by name: what `getField` may read. */
export const SESSION_FIELD_NAMES = Object.keys(sessionFields) as [keyof Session, ...(keyof Session)[]];

/** Fields `findOneBy` may search on. */
export const SESSION_LOOKUP_FIELDS = [
  'tmuxSessionName',
  'nativeSessionId',
  'nativeLogFile',
  'tuiLogFile',
  'outputMessageId',
  'relayDiscordChannelId',
  'workingSlug',
] as const;
export type SessionLookupField = (typeof SESSION_LOOKUP_FIELDS)[number];

const sessionListFilterObject = z
  .object({
    computerName: z.string(),
    lastInputOrigin: z.string(),
    initiatorSessionId: z.string(),
    ownerPerson: z.string(),
    includeClosed: z.boolean(),
    includeInitializing: z.boolean(),
    includeHeadless: z.boolean(),
    /** At most this many sessions (the first of the order); all when unset. */
    limit: Limit,
  })
  .partial()
  .strict();
export const SessionListFilter = quickParse(sessionListFilterObject, quickObject(sessionListFilterObject, {
  computerName: optional(quick.text),
  lastInputOrigin: optional(quick.text),
  initiatorSessionId: optional(quick.text),
  ownerPerson: optional(quick.text),
  includeClosed: optional(quick.boolean),
  includeInitializing: optional(quick.boolean),
  includeHeadless: optional(quick.boolean),
  limit: optional(quick.integer(1, false, LIMIT_MAX)),
}));
export type SessionListFilter = z.input<typeof SessionListFilter>;

/** The lifecycle statuses a listing shows for the given widening flags. */
export function listedStatuses(filter: SessionListFilter): LifecycleStatus[] {
  const statuses: LifecycleStatus[] = ['active'];
  if (filter.includeInitializing) statuses.push('initializing');
  if (filter.includeHeadless) statuses.push('headless');
  if (filter.includeClosed) statuses.push('closing', 'closed');
  return statuses;
}

/** `[<computerName>] Untitled`: the title of a session created without one. */
export function defaultSessionTitle(computerName: string): string {
  return `[${computerName}] Untitled`;
}

/**
 * The full row of a new session: defaults applied, timestamps from `now`.
 * Both adapters insert exactly this.
 */
export function newSession(input: z.output<typeof SessionCreateInput>, id: string, now: Date): Session {
  return {
    title: defaultSessionTitle(input.computerName),
    tmuxSessionName: null,
    lastInputOrigin: 'telegram',
    lifecycleStatus: 'active',
    adapterMetadata: {},
    sessionMetadata: {},
    projectPath: null,
    subdir: null,
    description: null,
    terminalSize: '80x24',
    initiatedByAi: false,
    initiatorSessionId: null,
    outputMessageId: null,
    notificationSent: false,
    nativeSessionId: null,
    nativeLogFile: null,
    activeAgent: null,
    thinkingMode: null,
    tuiLogFile: null,
    tuiCaptureStarted: false,
    lastMessageSent: null,
    lastMessageSentAt: input.lastMessageSent != null ? now : null,
    lastOutputRaw: null,
    lastOutputAt: input.lastOutputRaw != null ? now : null,
    lastOutputSummary: null,
    lastOutputDigest: null,
    lastToolUseAt: null,
    lastToolDoneAt: null,
    lastCheckpointAt: null,
    workingSlug: null,
    humanEmail: null,
    humanRole: null,
    lastMemoryExtractionAt: null,
    helpDeskProcessedAt: null,
    relayStatus: null,
    relayDiscordChannelId: null,
    relayStartedAt: null,
    charOffset: 0,
    transcriptFiles: [],
    visibility: 'private',
    principal: null,
    turnTriggeredByLinkedOutput: false,
    ownerPerson: null,
    ownerUid: null,
    closedAt: null,
    ...stripUndefined(input),
    id,
    createdAt: now,
    lastActivity: input.lastActivity ?? now,
  };
}

/**
 * The columns an update writes: the patch itself plus the timestamps the domain
 * derives from it (setting `lastMessageSent` stamps `lastMessageSentAt`, setting
 * `lastOutputRaw` stamps `lastOutputAt`, unless the patch sets them explicitly).
 */
export function sessionUpdate(patch: z.output<typeof SessionPatch>, now: Date): Partial<Session> {
  const update: Partial<Session> = stripUndefined(patch);
  if (patch.lastMessageSent !== undefined && patch.lastMessageSentAt === undefined) update.lastMessageSentAt = now;
  if (patch.lastOutputRaw !== undefined && patch.lastOutputAt === undefined) update.lastOutputAt = now;
  return update;
}

/** Creates a headless session: status `headless`, tmux name ''. */
export function headlessInput(input: z.output<typeof SessionCreateInput>): z.output<typeof SessionCreateInput> {
  return withFields(input, { lifecycleStatus: 'headless' as const, tmuxSessionName: '' });
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) out[key] = inner;
  }
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
