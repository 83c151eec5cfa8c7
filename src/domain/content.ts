/**
 * What can be stored: the content rule every engine applies the same way.
 *
 * A value is accepted only when every engine stores it and gives back the same value;
 * everything else is refused (never altered), so a write either succeeds faithfully or
 * fails with a ValidationError that names the field:
 * - text (and JSON strings and object keys) must not contain NUL (U+0000): PostgreSQL
 *   cannot store it in `text` or `jsonb` (SQLSTATE 22021 / 22P05) while SQLite can;
 *   dropping or replacing it would hand the daemon back something it did not write;
 * - text must be well-formed UTF-16: a lone surrogate has no UTF-8 encoding, and each
 *   engine's driver replaces it differently;
 * - JSON may nest at most MAX_JSON_DEPTH arrays/objects deep (SQLite's json_valid refuses
 *   past 1000, PostgreSQL accepts far more, and JSON.stringify overflows the stack near
 *   10,000); the check itself does not recurse;
 * - dates lie between MIN_DATE and MAX_DATE (years 1 to 9999, UTC): the range of
 *   ISO 8601 four-digit years, of the older Python daemon's `datetime`, and one that
 *   both engines hold exactly (JavaScript reaches +275760, PostgreSQL -4713 and 294276,
 *   with different text forms at the edges).
 */

/** The deepest nesting of arrays and objects a JSON value may have (`[]` is depth 1). */
export const MAX_JSON_DEPTH = 100;

/** The earliest storable instant: 0001-01-01T00:00:00.000Z. */
export const MIN_DATE = new Date('0001-01-01T00:00:00.000Z');
/** The latest storable instant: 9999-12-31T23:59:59.999Z. */
export const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');
// The checks use their own copies: the exported Dates could be changed with setTime.
const MIN_MS = MIN_DATE.getTime();
const MAX_MS = MAX_DATE.getTime();
const RANGE = `${MIN_DATE.toISOString()} .. ${MAX_DATE.toISOString()}`;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// String.prototype.isWellFormed (Node 20+) scans far faster than the regular expression, which only locates the offender.
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

/** Why a string cannot be stored identically on every engine, or null. */
export function textProblem(text: string): string | null {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) return `contains a NUL character (U+0000) at offset ${nul}; no engine-neutral store can hold it`;
  if (isWellFormed(text)) return null;
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return `contains a lone surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at offset ${lone.index}; it is not valid Unicode`;
  return null;
}

/** Why a date cannot be stored identically on every engine, or null. */
export function dateProblem(date: Date): string | null {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return 'is not a valid date';
  if (ms < MIN_MS || ms > MAX_MS) return `is outside the storable range ${RANGE}`;
  return null;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !ArrayBuffer.isView(value);
}

// Values nested this deep or less are first checked by a recursive pass that allocates
// nothing (every write goes through here); anything it cannot clear takes the full walk.
const QUICK_DEPTH = 32;

function isFine(value: unknown, depth: number, maxDepth: number): boolean {
  switch (typeof value) {
    case 'string':
      return !value.includes('\u0000') && isWellFormed(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      if (value === null || ArrayBuffer.isView(value)) return true;
      if (value instanceof Date) return dateProblem(value) === null;
      if (depth > maxDepth) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (!isFine(item, depth + 1, maxDepth)) return false;
        return true;
      }
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        if (key.includes('\u0000') || !isWellFormed(key) || !isFine((value as Record<string, unknown>)[key], depth + 1, maxDepth)) return false;
      }
      return true;
    default:
      return false;
  }
}

/** Where a value breaks the content rule: the dotted path inside the value ('' for the value itself) and why. */
export interface ContentIssue {
  readonly path: string;
  readonly reason: string;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/**
 * The first place where `value` breaks the content rule, or null. Walks arrays and plain
 * objects to any depth without recursion, checking every string, object key and date,
 * finite numbers, cycles, and that containers nest at most `maxDepth` deep.
 */
export function contentIssue(value: unknown, maxDepth: number = MAX_JSON_DEPTH): ContentIssue | null {
  if (isFine(value, 1, Math.min(maxDepth, QUICK_DEPTH))) return null;
  // Depth-first over an explicit stack; `exit` marks leaving an object, so `ancestors`
  // holds exactly the objects on the current path (a repeat among them is a cycle).
  type Frame = { value: unknown; path: string; depth: number } | { exit: object };
  const stack: Frame[] = [{ value, path: '', depth: 1 }];
  const ancestors = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ('exit' in frame) {
      ancestors.delete(frame.exit);
      continue;
    }
    const { value: current, path, depth } = frame;
    let reason: string | null = null;
    switch (typeof current) {
      case 'string':
        reason = textProblem(current);
        break;
      case 'number':
        reason = Number.isFinite(current) ? null : `${current} is not a finite number`;
        break;
      case 'boolean':
      case 'undefined':
        break;
      case 'object':
        if (current instanceof Date) reason = dateProblem(current);
        break;
      default:
        reason = `a ${typeof current} cannot be stored as JSON`;
    }
    if (reason) return { path, reason };
    if (!isContainer(current)) continue;
    if (ancestors.has(current)) return { path, reason: 'circular reference' };
    if (depth > maxDepth) return { path, reason: `JSON nests deeper than ${maxDepth} levels` };
    ancestors.add(current);
    stack.push({ exit: current });
    const isArray = Array.isArray(current);
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (!isArray) {
        const problem = textProblem(key);
        if (problem) return { path, reason: `key ${JSON.stringify(key)} ${problem}` };
      }
      stack.push({ value: (current as Record<string, unknown>)[key], path: join(path, key), depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Why `value` cannot be stored identically on every engine, or null. Accepts what a
 * repository or a bulk copy stores: a string, a Date, a number, a boolean, null, bytes,
 * a parsed JSON value (arrays and plain objects; see contentIssue), or a JsonText (JSON
 * still in text form, checked by jsonTextProblem). Do not pass JSON text as a plain
 * string: it would be checked as text, and an escaped `\u0000` is only found once parsed.
 * A nested problem starts with its path (`a.b.2: contains a NUL ...`).
 */
export function contentProblem(value: unknown): string | null {
  // JSON passed on unparsed (ports/bulk-loader.ts JsonText, which the domain cannot import):
  // its escapes (`\u0000`) only show once parsed.
  if (typeof value === 'object' && value !== null && value.constructor?.name === 'JsonText' && typeof (value as { text?: unknown }).text === 'string') {
    return jsonTextProblem((value as { text: string }).text);
  }
  const issue = contentIssue(value);
  return issue && (issue.path ? `${issue.path}: ${issue.reason}` : issue.reason);
}

// An escape that could decode to NUL or to half a surrogate pair (checked once parsed).
const RISKY_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

/**
 * Why well-formed JSON still in its text form (as a copy passes it on, unparsed) cannot
 * be stored identically on every engine, or null: contentProblem of the value it holds.
 * It parses only text that could break the rule (a `\u0000` or surrogate escape, more
 * than MAX_JSON_DEPTH brackets, a NUL or lone surrogate in the text itself), so ordinary
 * JSON costs a few scans.
 */
export function jsonTextProblem(text: string): string | null {
  const raw = textProblem(text);
  if (raw) return raw;
  // Fewer opening brackets than the limit cannot nest past it.
  let brackets = 0;
  for (let i = 0; i < text.length && brackets <= MAX_JSON_DEPTH; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) brackets++;
  }
  if (brackets <= MAX_JSON_DEPTH && !RISKY_ESCAPE.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `is not well-formed JSON: ${(error as Error).message}`;
  }
  return contentProblem(value);
}
