import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { DateInput, JsonObject, optional, quick, quickObject, quickParse, required, withDefault } from './validation.js';

/** One hook event written by the hook receiver, waiting to be processed by the daemon. */
export interface HookEvent {
  id: number;
  sessionId: string;
  eventType: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  nextAttemptAt: Date;
  attemptCount: number;
  lastError: string | null;
  deliveredAt: Date | null;
  lockedAt: Date | null;
}

export const hookEventFields: FieldKinds<HookEvent> = {
  id: 'int',
  sessionId: 'text',
  eventType: 'text',
  payload: 'json',
  createdAt: 'time',
  nextAttemptAt: 'time',
  attemptCount: 'int',
  lastError: 'text',
  deliveredAt: 'time',
  lockedAt: 'time',
};

const hookEventObject = z
  .object({
    sessionId: z.string().min(1, 'must not be empty'),
    eventType: z.string().min(1, 'must not be empty'),
    payload: JsonObject.default({}),
    nextAttemptAt: DateInput.optional(),
  })
  .strict();

/** Input of `HookOutboxRepository.enqueue`; `nextAttemptAt` defaults to now (due at once). */
export const HookEventInput = quickParse(
  hookEventObject,
  quickObject(hookEventObject, {
    sessionId: required(quick.nonEmptyText),
    eventType: required(quick.nonEmptyText),
    payload: withDefault(quick.jsonObject, () => ({})),
    nextAttemptAt: optional(quick.date()),
  }),
);
export type HookEventInput = z.input<typeof HookEventInput>;
