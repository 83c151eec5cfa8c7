import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { Id, JsonObject } from './validation.js';

export const OPERATION_STATES = ['queued', 'running', 'completed', 'failed', 'stale', 'cancelled'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];
/** States from which an operation can still make progress. */
export const NONTERMINAL_STATES: readonly OperationState[] = ['queued', 'running'];

/** A long-running job (e.g. a `next-work` run) requested by a session. */
export interface Operation {
  operationId: string;
  kind: string;
  callerSessionId: string;
  cwd: string | null;
  payload: Record<string, unknown>;
  clientRequestId: string | null;
  slug: string | null;
  state: OperationState;
  progressPhase: string | null;
  progressDecision: string | null;
  progressReason: string | null;
  resultText: string | null;
  errorText: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  heartbeatAt: Date | null;
  attemptCount: number;
}

export const operationFields: FieldKinds<Operation> = {
  operationId: 'text',
  kind: 'text',
  callerSessionId: 'text',
  cwd: 'text',
  payload: 'json',
  clientRequestId: 'text',
  slug: 'text',
  state: 'text',
  progressPhase: 'text',
  progressDecision: 'text',
  progressReason: 'text',
  resultText: 'text',
  errorText: 'text',
  createdAt: 'time',
  updatedAt: 'time',
  startedAt: 'time',
  completedAt: 'time',
  heartbeatAt: 'time',
  attemptCount: 'int',
};

const optionalText = z.string().nullable().optional();

/** Input of `OperationRepository.create`; the operation id is a new uuid unless given. */
export const OperationCreateInput = z
  .object({
    operationId: Id.optional(),
    kind: z.string().min(1, 'must not be empty'),
    callerSessionId: z.string().min(1, 'must not be empty'),
    cwd: optionalText,
    payload: JsonObject.default({}),
    clientRequestId: optionalText,
    slug: optionalText,
  })
  .strict();
export type OperationCreateInput = z.input<typeof OperationCreateInput>;

/** Input of `OperationRepository.updateProgress`: the fields given are written, the others kept. */
export const OperationProgress = z
  .object({ phase: optionalText, decision: optionalText, reason: optionalText })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'must set at least one field');
export type OperationProgress = z.input<typeof OperationProgress>;

/** The row a new operation is inserted as. */
export function newOperation(input: z.output<typeof OperationCreateInput>, operationId: string, now: Date): Operation {
  return {
    operationId,
    kind: input.kind,
    callerSessionId: input.callerSessionId,
    cwd: input.cwd ?? null,
    payload: input.payload,
    clientRequestId: input.clientRequestId ?? null,
    slug: input.slug ?? null,
    state: 'queued',
    progressPhase: null,
    progressDecision: null,
    progressReason: null,
    resultText: null,
    errorText: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    heartbeatAt: null,
    attemptCount: 0,
  };
}
