import { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses `value` with `schema`; on failure throws a ValidationError whose field is
 * `label` joined with the path of the first issue (e.g. `patch.lifecycleStatus`).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [label, ...issue.path.map(String)].filter(Boolean).join('.');
  throw new ValidationError(field, issue.message, { cause: result.error });
}

/** A JSON-serialisable value: what JSON columns accept. Rejects functions, symbols, bigints, NaN and cycles. */
export const JsonValue: z.ZodType<unknown> = z.unknown().superRefine((value, ctx) => {
  const problem = jsonProblem(value, new Set());
  if (problem) ctx.addIssue({ code: 'custom', message: `not JSON-serialisable: ${problem}` });
});

/** A JSON object (not an array, not null). */
export const JsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value, new Set());
  if (problem) ctx.addIssue({ code: 'custom', message: `not JSON-serialisable: ${problem}` });
});

function jsonProblem(value: unknown, seen: Set<object>): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${value} is not a finite number`;
    case 'object': {
      if (value === null) return null;
      if (seen.has(value)) return 'circular reference';
      if (value instanceof Date) return null;
      seen.add(value);
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key, inner] of entries) {
        if (inner === undefined && !Array.isArray(value)) continue;
        const problem = jsonProblem(inner, seen);
        if (problem) return `${key}: ${problem}`;
      }
      seen.delete(value);
      return null;
    }
    default:
      return `a ${typeof value} cannot be stored as JSON`;
  }
}

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
