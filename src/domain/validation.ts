import { z } from 'zod';
import { contentIssue, dateProblem, textProblem } from './content.js';
import { ValidationError } from './errors.js';

/**
 * Parses `value` with `schema`; on failure throws a ValidationError whose field is
 * `label` joined with the path of the first issue (e.g. `patch.lifecycleStatus`).
 * The parsed value must then also satisfy the content rule (domain/content.ts) in every
 * string, object key and date it holds, so what one engine would refuse or alter never
 * reaches any engine.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  // A value a quick parser clears gives what the full parse would: no zod run.
  const quick = quickParserOf(schema);
  if (quick !== undefined) {
    const parsed = quick(value);
    if (parsed !== NOT_CLEARED) return parsed as z.output<S>;
  }
  return fullParse(schema, value, label);
}

/**
 * parseInput of one schema and label, with the schema's quick parser looked up once: what
 * a port's validation wrapper calls for every argument of every call.
 */
export function inputParser<S extends z.ZodType>(schema: S, label: string): (value: unknown) => z.output<S> {
  const quick = quickParserOf(schema);
  if (quick === undefined) return (value) => fullParse(schema, value, label);
  return (value) => {
    const parsed = quick(value);
    return parsed !== NOT_CLEARED ? (parsed as z.output<S>) : fullParse(schema, value, label);
  };
}

/** The full zod parse and content rule of `schema`, never a quick parser: what every quick parser is held to. */
export function parseInFull<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  return fullParse(schema, value, label);
}

function fullParse<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
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

/** What a quick parser returns for a value it does not clear (which then takes the full parse). */
export const NOT_CLEARED: unique symbol = Symbol('not cleared');

/** Gives, without running zod, what the full parse and content rule give for the values it clears; NOT_CLEARED for the rest. */
export type QuickParser = (value: unknown) => unknown;

/**
 * Parsers that clear, without running zod, values a schema accepts and the content rule
 * allows (the ids, tokens and object inputs of every hot-path call), giving the same value
 * the full parse would; what they do not clear takes the full parse, which accepts it or
 * names the problem. Keyed by schema. test/unit/quick-checks.test.ts holds each to the
 * full parse's verdict and value.
 */
const quickParsers = new WeakMap<z.ZodType, QuickParser>();

/** The quick parser of `schema`, if it has one (for tests: parseInput uses it itself). */
export function quickParserOf(schema: z.ZodType): QuickParser | undefined {
  const own = quickParsers.get(schema);
  if (own !== undefined || !(schema instanceof z.ZodOptional)) return own;
  // `inner.optional()`: undefined as it is, anything else as inner's quick parser decides;
  // made once per schema, as a schema's own quick parser is.
  const inner = quickParserOf(schema.unwrap() as z.ZodType);
  if (inner === undefined) return undefined;
  const optionalQuick: QuickParser = (value) => (value === undefined ? undefined : inner(value));
  quickParsers.set(schema, optionalQuick);
  return optionalQuick;
}

/** A non-empty string the content rule allows (see domain/content.ts): what `z.string().min(1)` accepts as it is. */
export const isNonEmptyText = (value: unknown): boolean => typeof value === 'string' && value.length > 0 && textProblem(value) === null;

/** `schema` accepts every value `check` clears, unchanged, and the content rule allows it: parseInput may skip zod for it. */
export function quickCheck<S extends z.ZodType>(schema: S, check: (value: unknown) => boolean): S {
  quickParsers.set(schema, (value) => (check(value) ? value : NOT_CLEARED));
  return schema;
}

/** `schema`'s full parse gives what `parse` gives for every value it clears (not NOT_CLEARED), and the content rule allows that value. */
export function quickParse<S extends z.ZodType>(schema: S, parse: QuickParser): S {
  quickParsers.set(schema, parse);
  return schema;
}

/**
 * One member of a quick object parser: how its key is declared in the zod object
 * (`required`: plain; `optional`: `.optional()` or inside `.partial()`, so an absent key
 * stays absent and a present undefined stays undefined; `default`: `.default()`, so
 * undefined, present or not, becomes `fallback()`), and `parse`, the member's own quick parser.
 */
export interface QuickMember {
  readonly presence: 'required' | 'optional' | 'default';
  readonly parse: QuickParser;
  readonly fallback?: () => unknown;
}

/**
 * A quick parser of the strict zod object `schema` whose members are `members` (checked
 * when made: the same keys in the same order, each declared as its presence says, and no
 * unknown key allowed). It builds its output in the object's key order, as zod does, and
 * clears a plain object (prototype Object.prototype) with no key outside `members` whose
 * every member it clears; `nonEmpty` additionally requires at least one key in the output
 * (as a `.refine` on Object.keys does). Presence is read with `in` and values with `[]`,
 * as zod reads them.
 */
export function quickObject(schema: z.ZodObject, members: Record<string, QuickMember>, options: { nonEmpty?: boolean } = {}): QuickParser {
  const shape = schema.shape as Record<string, z.ZodType>;
  const shapeKeys = Object.keys(shape);
  const mismatch = (reason: string) => new TypeError(`quickObject: ${reason}`);
  if (shapeKeys.join() !== Object.keys(members).join()) throw mismatch(`members ${Object.keys(members).join()} are not the object's ${shapeKeys.join()}`);
  if ((schema._zod.def.catchall?._zod.def.type ?? '') !== 'never') throw mismatch('the object is not strict');
  for (const key of shapeKeys) {
    const { optin, optout } = shape[key]!._zod;
    const declared = optin === undefined ? 'required' : optin === 'defaulted' ? 'default' : optin === 'optional' && optout === 'optional' ? 'optional' : String(optin);
    if (declared !== members[key]!.presence) throw mismatch(`${key} is ${declared}, not ${members[key]!.presence}`);
  }
  const keys = Object.keys(members);
  const list = keys.map((key) => [key, members[key]!] as const);
  const known = new Set(keys);
  const nonEmpty = options.nonEmpty ?? false;
  return (input) => {
    if (typeof input !== 'object' || input === null || Object.getPrototypeOf(input) !== Object.prototype) return NOT_CLEARED;
    for (const key in input) if (!known.has(key)) return NOT_CLEARED;
    const out: Record<string, unknown> = {};
    let size = 0;
    for (let i = 0; i < list.length; i++) {
      const [key, member] = list[i]!;
      let value: unknown;
      if (member.presence === 'default') {
        value = (input as Record<string, unknown>)[key];
        if (value === undefined) {
          out[key] = member.fallback!();
          size++;
          continue;
        }
      } else {
        // An absent key costs one lookup (most of a patch's members are absent).
        if (!(key in input)) {
          if (member.presence === 'required') return NOT_CLEARED;
          continue;
        }
        value = (input as Record<string, unknown>)[key];
        if (value === undefined && member.presence === 'optional') {
          out[key] = undefined;
          size++;
          continue;
        }
      }
      const parsed = member.parse(value);
      if (parsed === NOT_CLEARED) return NOT_CLEARED;
      out[key] = parsed;
      size++;
    }
    return nonEmpty && size === 0 ? NOT_CLEARED : out;
  };
}

/** Quick parsers of the members of object inputs: each clears a value its zod counterpart accepts unchanged (or, for containers, copies as zod does). */
export const quick = {
  /** `z.string()`. */
  text: ((value) => (typeof value === 'string' && textProblem(value) === null ? value : NOT_CLEARED)) as QuickParser,
  /** `z.string().min(1)`. */
  nonEmptyText: ((value) => (isNonEmptyText(value) ? value : NOT_CLEARED)) as QuickParser,
  /** `z.string().nullable()`. */
  nullableText: ((value) => (value === null || (typeof value === 'string' && textProblem(value) === null) ? value : NOT_CLEARED)) as QuickParser,
  /** `z.string().regex(pattern)` (a pattern without the g or y flag), nullable if asked. */
  matching(pattern: RegExp, nullable = false): QuickParser {
    if (pattern.global || pattern.sticky) throw new TypeError('quick.matching: a g or y pattern keeps state between tests');
    return (value) =>
      (nullable && value === null) || (typeof value === 'string' && pattern.test(value) && textProblem(value) === null) ? value : NOT_CLEARED;
  },
  /** `z.enum(values)`. */
  oneOf(values: readonly string[]): QuickParser {
    const set = new Set<unknown>(values);
    return (value) => (set.has(value) ? value : NOT_CLEARED);
  },
  /** `z.boolean()`. */
  boolean: ((value) => (typeof value === 'boolean' ? value : NOT_CLEARED)) as QuickParser,
  /** `z.number().int()` (a safe integer), at least `min` and at most `max` if given, nullable if asked. */
  integer(min = -Infinity, nullable = false, max = Infinity): QuickParser {
    return (value) =>
      (nullable && value === null) || (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max) ? value : NOT_CLEARED;
  },
  /** DateInput given a Date (the full parse turns strings and numbers into one), nullable if asked. */
  date(nullable = false): QuickParser {
    return (value) => ((nullable && value === null) || (value instanceof Date && dateProblem(value) === null) ? value : NOT_CLEARED);
  },
  /** JsonObject: a copy of a plain object's own enumerable string keys (as z.record makes), whose content the rule allows. */
  jsonObject: ((value) => {
    if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype || value.constructor !== Object) return NOT_CLEARED;
    const copy: Record<string, unknown> = {};
    for (const key in value) {
      // Inherited keys (a polluted prototype), __proto__ (which z.record drops) and symbol keys (which it refuses) take the full parse.
      if (key === '__proto__' || !Object.hasOwn(value, key)) return NOT_CLEARED;
      copy[key] = (value as Record<string, unknown>)[key];
    }
    if (Object.getOwnPropertySymbols(value).length > 0) return NOT_CLEARED;
    return contentIssue(copy) === null ? copy : NOT_CLEARED;
  }) as QuickParser,
  /** `z.array(z.string())`: a copy, as zod makes. */
  textArray: ((value) => {
    if (!Array.isArray(value)) return NOT_CLEARED;
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'string' || textProblem(item) !== null) return NOT_CLEARED;
      copy[i] = item;
    }
    return copy;
  }) as QuickParser,
};

/** A required member. */
export const required = (parse: QuickParser): QuickMember => ({ presence: 'required', parse });
/** An optional member (`.optional()`, or any member of a `.partial()` object). */
export const optional = (parse: QuickParser): QuickMember => ({ presence: 'optional', parse });
/** A member with a `.default()`: `fallback` gives a fresh default each time, as zod's default does. */
export const withDefault = (parse: QuickParser, fallback: () => unknown): QuickMember => ({ presence: 'default', parse, fallback });

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
/** The largest `limit` any listing takes. */
export const LIMIT_MAX = 10_000;
export const Limit = z.number().int('must be an integer').positive('must be positive').max(LIMIT_MAX, `must be at most ${LIMIT_MAX}`);
