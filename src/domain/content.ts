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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored identically on every engine, or null. */
export function textProblem(text: string): string | null {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) return `contains a NUL character (U+0000) at offset ${nul}; no engine-neutral store can hold it`;
  const lone = LONE_SURROGATE.exec(text);
  if (lone) return `contains a lone surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at offset ${lone.index}; it is not valid Unicode`;
  return null;
}

/** Why a date cannot be stored identically on every engine, or null. */
export function dateProblem(date: Date): string | null {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return 'is not a valid date';
  if (ms < MIN_DATE.getTime() || ms > MAX_DATE.getTime()) return `is outside the storable range ${MIN_DATE.toISOString()} .. ${MAX_DATE.toISOString()}`;
  return null;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !ArrayBuffer.isView(value);
}

function pathOf(parent: string, key: string, inArray: boolean): string {
  if (inArray) return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;
}

function at(path: string, problem: string): string {
  return path ? `${path}: ${problem}` : problem;
}

/**
 * Why `value` cannot be stored identically on every engine, or null. Accepts what a
 * repository or a bulk copy stores: a string, a Date, a number, a boolean, null, bytes,
 * or a parsed JSON value (arrays and plain objects), checked to any depth without
 * recursion: every string and object key, the nesting depth, finite numbers, cycles.
 * Pass JSON as its parsed value, not as JSON text (an escaped `\u0000` in text is only
 * found once parsed). A nested problem names its path (`a.b[2]: contains a NUL ...`).
 */
export function contentProblem(value: unknown): string | null {
  if (typeof value === 'string') return textProblem(value);
  if (value instanceof Date) return dateProblem(value);
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${value} is not a finite number`;
  if (!isContainer(value)) return null;

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
    switch (typeof current) {
      case 'string': {
        const problem = textProblem(current);
        if (problem) return at(path, problem);
        continue;
      }
      case 'number':
        if (!Number.isFinite(current)) return at(path, `${current} is not a finite number`);
        continue;
      case 'boolean':
      case 'undefined':
        continue;
      case 'object':
        break;
      default:
        return at(path, `a ${typeof current} cannot be stored as JSON`);
    }
    if (!isContainer(current)) continue;
    if (ancestors.has(current)) return at(path, 'circular reference');
    if (depth > MAX_JSON_DEPTH) return at(path, `JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
    ancestors.add(current);
    stack.push({ exit: current });
    const isArray = Array.isArray(current);
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      if (!isArray) {
        const problem = textProblem(key);
        if (problem) return at(path, `key ${JSON.stringify(key)} ${problem}`);
      }
      stack.push({ value: (current as Record<string, unknown>)[key], path: pathOf(path, key, isArray), depth: depth + 1 });
    }
  }
  return null;
}
