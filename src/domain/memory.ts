import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { SearchLimit, searchIndexProblem } from './search.js';
import { Limit } from './validation.js';

export const OBSERVATION_TYPES = ['preference', 'decision', 'discovery', 'gotcha', 'pattern', 'friction', 'context'] as const;
export type ObservationType = (typeof OBSERVATION_TYPES)[number];

/** Something an agent learned, kept across sessions of a project. */
export interface MemoryObservation {
  id: number;
  memorySessionId: string;
  project: string;
  type: ObservationType;
  title: string;
  subtitle: string | null;
  facts: string[];
  narrative: string | null;
  concepts: string[];
  filesRead: string | null;
  filesModified: string | null;
  promptNumber: number | null;
  discoveryTokens: number;
  identityKey: string | null;
  createdAt: Date;
}

export const memoryObservationFields: FieldKinds<MemoryObservation> = {
  id: 'int',
  memorySessionId: 'text',
  project: 'text',
  type: 'text',
  title: 'text',
  subtitle: 'text',
  facts: 'json',
  narrative: 'text',
  concepts: 'json',
  filesRead: 'text',
  filesModified: 'text',
  promptNumber: 'int',
  discoveryTokens: 'int',
  identityKey: 'text',
  createdAt: 'time',
};

/** The summary of one memory session. */
export interface MemorySummary {
  id: number;
  memorySessionId: string;
  project: string;
  request: string | null;
  investigated: string | null;
  learned: string | null;
  completed: string | null;
  nextSteps: string | null;
  createdAt: Date;
}

export const memorySummaryFields: FieldKinds<MemorySummary> = {
  id: 'int',
  memorySessionId: 'text',
  project: 'text',
  request: 'text',
  investigated: 'text',
  learned: 'text',
  completed: 'text',
  nextSteps: 'text',
  createdAt: 'time',
};

/** The memory session that manually saved observations of a project belong to (one per project). */
export interface MemoryManualSession {
  memorySessionId: string;
  project: string;
  createdAt: Date;
}

export const memoryManualSessionFields: FieldKinds<MemoryManualSession> = {
  memorySessionId: 'text',
  project: 'text',
  createdAt: 'time',
};

const NonEmpty = z.string().min(1, 'must not be empty');
const optionalText = z.string().nullable().optional();

export const Project = NonEmpty;
export const ObservationTypeInput = z.enum(OBSERVATION_TYPES);

export const ObservationInput = z
  .object({
    memorySessionId: NonEmpty,
    project: NonEmpty,
    type: ObservationTypeInput,
    title: z.string({ error: 'must be a string' }),
    subtitle: optionalText,
    facts: z.array(z.string()).default([]),
    narrative: optionalText,
    concepts: z.array(z.string()).default([]),
    filesRead: optionalText,
    filesModified: optionalText,
    promptNumber: z.number().int('must be an integer').nullable().optional(),
    discoveryTokens: z.number().int('must be an integer').nonnegative('must not be negative').default(0),
    identityKey: optionalText,
  })
  .strict()
  .superRefine((input, ctx) => {
    // The whole observation is one search document; its long part names the field.
    const problem = observationSearchProblem(input);
    if (problem) ctx.addIssue({ code: 'custom', path: ['narrative'], message: problem });
  });
export type ObservationInput = z.input<typeof ObservationInput>;

/** Why an observation's searchable texts (title, subtitle, narrative, facts, concepts) cannot be indexed on every engine, or null. */
export function observationSearchProblem(o: {
  title?: string | null;
  subtitle?: string | null;
  narrative?: string | null;
  facts?: readonly string[] | null;
  concepts?: readonly string[] | null;
}): string | null {
  return searchIndexProblem([o.title, o.subtitle, o.narrative, ...(o.facts ?? []), ...(o.concepts ?? [])]);
}

export const SummaryInput = z
  .object({
    memorySessionId: NonEmpty,
    project: NonEmpty,
    request: optionalText,
    investigated: optionalText,
    learned: optionalText,
    completed: optionalText,
    nextSteps: optionalText,
  })
  .strict();
export type SummaryInput = z.input<typeof SummaryInput>;

export const RecentOptions = z
  .object({ type: ObservationTypeInput.optional(), limit: Limit.default(50) })
  .strict()
  .default({ limit: 50 });
export type RecentOptions = z.input<typeof RecentOptions>;

export const MemorySearchOptions = z
  .object({
    project: NonEmpty.optional(),
    type: ObservationTypeInput.optional(),
    identityKey: z.string().optional(),
    limit: SearchLimit.default(20),
  })
  .strict()
  .default({ limit: 20 });
export type MemorySearchOptions = z.input<typeof MemorySearchOptions>;

/** The row of a new observation: nulls and defaults filled, createdAt = now. */
export function newObservation(input: z.output<typeof ObservationInput>, now: Date): Omit<MemoryObservation, 'id'> {
  return {
    memorySessionId: input.memorySessionId,
    project: input.project,
    type: input.type,
    title: input.title,
    subtitle: input.subtitle ?? null,
    facts: input.facts,
    narrative: input.narrative ?? null,
    concepts: input.concepts,
    filesRead: input.filesRead ?? null,
    filesModified: input.filesModified ?? null,
    promptNumber: input.promptNumber ?? null,
    discoveryTokens: input.discoveryTokens,
    identityKey: input.identityKey ?? null,
    createdAt: now,
  };
}

/** The row of a new summary: nulls filled, createdAt = now. */
export function newSummary(input: z.output<typeof SummaryInput>, now: Date): Omit<MemorySummary, 'id'> {
  return {
    memorySessionId: input.memorySessionId,
    project: input.project,
    request: input.request ?? null,
    investigated: input.investigated ?? null,
    learned: input.learned ?? null,
    completed: input.completed ?? null,
    nextSteps: input.nextSteps ?? null,
    createdAt: now,
  };
}
