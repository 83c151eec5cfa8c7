import { z } from 'zod';
import { contentIssue } from './content.js';
import { ValidationError } from './errors.js';

/**
 * Parses `value` with `schema`; on failure throws a ValidationError whose field is
 * `label` joined with the path of the first issue (e.g. `patch.lifecycleStatus`).
 * The parsed value must then also satisfy the content rule (domain/content.ts) in every
 * string, object key and date it holds, so what one engine would refuse or alter never
 * reaches any engine.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
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

/** Non-empty text id. */
export const Id = z.string().min(1, 'must not be empty');
/** Positive integer id of an auto-numbered row. */
export const AutoId = z.number().int('must be an integer').positive('must be positive');
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
