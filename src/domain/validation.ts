import { z } from 'zod';
import { contentIssue, textProblem } from './content.js';
import { ValidationError } from './errors.js';

/**
 * Parses `value` with `schema`; on failure throws a ValidationError whose field is
 * `label` joined with the path of the first issue (e.g. `patch.lifecycleStatus`).
 * The parsed value must then also satisfy the content rule (domain/content.ts) in every
 * string, object key and date it holds, so what one engine would refuse or alter never
 * reaches any engine.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  // A value a quick check clears parses to itself: no zod run, nothing allocated.
  const quick = quickChecks.get(schema);
  if (quick !== undefined && quick(value)) return value as z.output<S>;
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = [label, ...issue.path.map(String)].filter(Boolean).join('.');
    throw new ValidationError(field, issue.message, { cause: result.error });
  }
  // Depth is limited per JSON field by JsonValue/JsonObject; the input around them is shallow.
  const problem = contentIssue(result.data, Infinity);
  if (problem) throw new ValidationError([label, problem.path].filter(Boolean).join('.'), problem.reason);
  return result.data;
}

function refineJson(value: unknown, ctx: z.core.$RefinementCtx): void {
  const problem = contentIssue(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.path ? `${problem.path}: ${problem.reason}` : problem.reason });
}

/**
 * A JSON-serialisable value: what JSON columns accept. Rejects functions, symbols,
 * bigints, NaN, cycles, nesting deeper than MAX_JSON_DEPTH and text the content rule refuses.
 */
export const JsonValue: z.ZodType<unknown> = z.unknown().superRefine(refineJson);

/** A JSON object (not an array, not null), under the same rules as JsonValue. */
export const JsonObject = z.record(z.string(), z.unknown()).superRefine(refineJson);

/**
 * Checks that clear, without running zod, exactly the values a schema accepts unchanged
 * and the content rule allows (the ids and tokens of every hot-path call); what they do
 * not clear takes the full parse, which accepts it or names the problem. Keyed by schema.
 */
const quickChecks = new WeakMap<z.ZodType, (value: unknown) => boolean>();

/** A non-empty string the content rule allows (see domain/content.ts): what `z.string().min(1)` accepts as it is. */
export const isNonEmptyText = (value: unknown): boolean => typeof value === 'string' && value.length > 0 && textProblem(value) === null;

/** `schema` accepts every value `check` clears, unchanged, and the content rule allows it: parseInput may skip zod for it. */
export function quickCheck<S extends z.ZodType>(schema: S, check: (value: unknown) => boolean): S {
  quickChecks.set(schema, check);
  return schema;
}

/** Non-empty text id. */
export const Id = quickCheck(z.string().min(1, 'must not be empty'), isNonEmptyText);
/** Positive integer id of an auto-numbered row (zod's int() is a safe integer). */
export const AutoId = quickCheck(
  z.number().int('must be an integer').positive('must be positive'),
  (value) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0,
);
/** A date; ISO strings and epoch milliseconds are accepted and normalised. */
export const DateInput = z.union([z.date(), z.string(), z.number()]).transform((value, ctx) => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'is not a valid date' });
    return z.NEVER;
  }
  return date;
});
/** Non-negative integer milliseconds (a duration). */
export const DurationMs = z.number().int('must be an integer').nonnegative('must not be negative');
/** A batch size for claims and listings. */
export const Limit = z.number().int('must be an integer').positive('must be positive').max(10_000, 'must be at most 10000');
