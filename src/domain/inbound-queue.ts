import { z } from 'zod';
import { SECOND, type FieldKinds } from './fields.js';
import { JsonObject, optional, quick, quickObject, quickParse, required, withDefault } from './validation.js';

export const MESSAGE_TYPES = ['text', 'voice', 'file'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const INBOUND_STATUSES = ['pending', 'processing', 'delivered', 'failed', 'expired'] as const;
export type InboundStatus = (typeof INBOUND_STATUSES)[number];

/** A message from a user (Telegram, Discord, API, ...) waiting to be typed into a session. */
export interface InboundMessage {
  id: number;
  sessionId: string;
  origin: string;
  messageType: MessageType;
  content: string;
  payload: Record<string, unknown>;
  actorId: string | null;
  actorName: string | null;
  actorAvatarUrl: string | null;
  status: InboundStatus;
  createdAt: Date;
  processedAt: Date | null;
  attemptCount: number;
  nextRetryAt: Date | null;
  lastError: string | null;
  lockedAt: Date | null;
  sourceMessageId: string | null;
  sourceChannelId: string | null;
}

export const inboundMessageFields: FieldKinds<InboundMessage> = {
  id: 'int',
  sessionId: 'text',
  origin: 'text',
  messageType: 'text',
  content: 'text',
  payload: 'json',
  actorId: 'text',
  actorName: 'text',
  actorAvatarUrl: 'text',
  status: 'text',
  createdAt: 'time',
  processedAt: 'time',
  attemptCount: 'int',
  nextRetryAt: 'time',
  lastError: 'text',
  lockedAt: 'time',
  sourceMessageId: 'text',
  sourceChannelId: 'text',
};

const optionalText = z.string().nullable().optional();

const inboundEnqueueObject = z
  .object({
    sessionId: z.string().min(1, 'must not be empty'),
    origin: z.string().min(1, 'must not be empty'),
    messageType: z.enum(MESSAGE_TYPES),
    content: z.string().default(''),
    payload: JsonObject.default({}),
    actorId: optionalText,
    actorName: optionalText,
    actorAvatarUrl: optionalText,
    sourceMessageId: optionalText,
    sourceChannelId: optionalText,
  })
  .strict();

/** Input of `InboundQueueRepository.enqueue`. */
export const InboundEnqueueInput = quickParse(
  inboundEnqueueObject,
  quickObject(inboundEnqueueObject, {
    sessionId: required(quick.nonEmptyText),
    origin: required(quick.nonEmptyText),
    messageType: required(quick.oneOf(MESSAGE_TYPES)),
    content: withDefault(quick.text, () => ''),
    payload: withDefault(quick.jsonObject, () => ({})),
    actorId: optional(quick.nullableText),
    actorName: optional(quick.nullableText),
    actorAvatarUrl: optional(quick.nullableText),
    sourceMessageId: optional(quick.nullableText),
    sourceChannelId: optional(quick.nullableText),
  }),
);
export type InboundEnqueueInput = z.input<typeof InboundEnqueueInput>;

/** Retry delays of a failed inbound message, in seconds: the n-th failure waits the n-th entry, then the last. */
export const INBOUND_BACKOFF_SECONDS: readonly number[] = [5, 10, 20, 40, 80, 160, 300];

/** The wait before the next attempt after the `attemptCount`-th failure (1-based); capped at 300 s. */
export function inboundRetryDelayMs(attemptCount: number): number {
  if (!Number.isInteger(attemptCount) || attemptCount < 1) throw new TypeError(`attemptCount must be a positive integer, got ${attemptCount}`);
  const schedule = INBOUND_BACKOFF_SECONDS;
  return schedule[Math.min(attemptCount, schedule.length) - 1]! * SECOND;
}

/** The whole schedule in milliseconds, indexed by failures so far (0-based); adapters pass it to SQL. */
export const INBOUND_BACKOFF_MS: readonly number[] = INBOUND_BACKOFF_SECONDS.map((_, i) => inboundRetryDelayMs(i + 1));
