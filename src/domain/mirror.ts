import { z } from 'zod';
import { type FieldKinds } from './fields.js';
import { SearchLimit, searchIndexProblem } from './search.js';
import { DateInput, JsonObject, Limit } from './validation.js';

/** A searchable copy of one agent transcript (keyed by where it came from). */
export interface Mirror {
  id: number;
  sessionId: string | null;
  /** Where the transcript came from; null for a mirror without a transcript (as the older daemon stores some). */
  sourceIdentity: string | null;
  computer: string | null;
  agent: string;
  project: string | null;
  title: string | null;
  timestampStart: Date | null;
  timestampEnd: Date | null;
  conversationText: string;
  messageCount: number;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export const mirrorFields: FieldKinds<Mirror> = {
  id: 'int',
  sessionId: 'text',
  sourceIdentity: 'text',
  computer: 'text',
  agent: 'text',
  project: 'text',
  title: 'text',
  timestampStart: 'time',
  timestampEnd: 'time',
  conversationText: 'text',
  messageCount: 'int',
  metadata: 'json',
  createdAt: 'time',
  updatedAt: 'time',
};

/** A transcript that was deliberately removed and must not be mirrored again. */
export interface MirrorTombstone {
  sourceIdentity: string;
  agent: string;
  transcriptPath: string | null;
  fileSize: number | null;
  /**
   * Modification time of the transcript file in integer nanoseconds, as decimal text
   * (`String(fs.statSync(path, { bigint: true }).mtimeNs)`, the daemon's `str(st_mtime_ns)`):
   * exact, so compare it for equality with a file's current value.
   */
  fileMtimeNs: string | null;
  createdAt: Date;
}

export const mirrorTombstoneFields: FieldKinds<MirrorTombstone> = {
  sourceIdentity: 'text',
  agent: 'text',
  transcriptPath: 'text',
  fileSize: 'int',
  fileMtimeNs: 'text',
  createdAt: 'time',
};

const NonEmpty = z.string().min(1, 'must not be empty');
const optionalText = z.string().nullable().optional();

export const SourceIdentity = NonEmpty;

/** Integer nanoseconds: a digit string or a bigint, stored as decimal text without leading zeros. */
export const FileMtimeNs = z
  .union([z.string().regex(/^\d+$/, 'must be a decimal integer of nanoseconds'), z.bigint().nonnegative('must not be negative')])
  .transform((v) => BigInt(v).toString());

export const MirrorInput = z
  .object({
    sourceIdentity: NonEmpty,
    agent: NonEmpty,
    sessionId: optionalText,
    computer: optionalText,
    project: optionalText,
    title: optionalText,
    timestampStart: DateInput.nullable().optional(),
    timestampEnd: DateInput.nullable().optional(),
    conversationText: z.string().default(''),
    messageCount: z.number().int('must be an integer').nonnegative('must not be negative').default(0),
    metadata: JsonObject.default({}),
  })
  .strict()
  .superRefine((input, ctx) => {
    const problem = mirrorSearchProblem(input.title, input.conversationText);
    if (problem) ctx.addIssue({ code: 'custom', path: ['conversationText'], message: problem });
  });
export type MirrorInput = z.input<typeof MirrorInput>;

export const TombstoneInput = z
  .object({
    sourceIdentity: NonEmpty,
    agent: NonEmpty,
    transcriptPath: optionalText,
    fileSize: z.number().int('must be an integer').nonnegative('must not be negative').nullable().optional(),
    fileMtimeNs: FileMtimeNs.nullable().optional(),
  })
  .strict();
export type TombstoneInput = z.input<typeof TombstoneInput>;

export const MirrorListOptions = z
  .object({ agent: NonEmpty.optional(), project: NonEmpty.optional(), limit: Limit.default(100) })
  .strict()
  .default({ limit: 100 });
export type MirrorListOptions = z.input<typeof MirrorListOptions>;

export const MirrorSearchOptions = z
  .object({ agent: NonEmpty.optional(), project: NonEmpty.optional(), limit: SearchLimit.default(20) })
  .strict()
  .default({ limit: 20 });
export type MirrorSearchOptions = z.input<typeof MirrorSearchOptions>;

/** Why a mirror's title and text cannot be indexed for search on every engine, or null (see searchIndexProblem). */
export function mirrorSearchProblem(title: string | null | undefined, conversationText: string | null | undefined): string | null {
  return searchIndexProblem([title, conversationText]);
}

/** The written fields of an upsert (everything but id and the timestamps the repository sets). */
export function mirrorValues(input: z.output<typeof MirrorInput>): Omit<Mirror, 'id' | 'createdAt' | 'updatedAt'> & { sourceIdentity: string } {
  return {
    sessionId: input.sessionId ?? null,
    sourceIdentity: input.sourceIdentity,
    computer: input.computer ?? null,
    agent: input.agent,
    project: input.project ?? null,
    title: input.title ?? null,
    timestampStart: input.timestampStart ?? null,
    timestampEnd: input.timestampEnd ?? null,
    conversationText: input.conversationText,
    messageCount: input.messageCount,
    metadata: input.metadata,
  };
}

/** The row of a tombstone recorded at `now`. */
export function newTombstone(input: z.output<typeof TombstoneInput>, now: Date): MirrorTombstone {
  return {
    sourceIdentity: input.sourceIdentity,
    agent: input.agent,
    transcriptPath: input.transcriptPath ?? null,
    fileSize: input.fileSize ?? null,
    fileMtimeNs: input.fileMtimeNs ?? null,
    createdAt: now,
  };
}

/** Columns an upsert of an existing mirror leaves alone. */
export const MIRROR_KEPT_ON_UPSERT = ['source_identity', 'created_at'];
