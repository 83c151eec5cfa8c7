import { JsonText } from '../ports/bulk-loader.js';
import type { TypeClass } from '../ports/inspector.js';

/** What happened to one value on its way to the target, counted per table. */
export interface ConversionCounts {
  /** Changed representation as expected (timestamp text or epoch -> Date, 0/1 -> boolean, JSON text -> JSON). */
  converted: number;
  /** Loosely typed values bent into the column's type ('' -> null, '12' -> 12, 2 -> true). */
  coerced: number;
  /** NULL, '' or missing values of NOT NULL columns replaced by the column's default. */
  filled: number;
  /** Values that could not be read as the column's type (malformed JSON, a non-date in a timestamp column). */
  invalid: number;
}

/** Why a value could not be converted; the caller reports it with the row's id. */
export class InvalidValue {
  constructor(readonly reason: string) {}
}

export type Converter = (value: unknown) => unknown;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * The older daemon's three forms (`2026-03-15 18:03:10.123456`, UTC without offset,
 * `2026-03-15T18:03:10.123456+00:00` and `2026-03-02T15:26:55.733Z`), plain dates and ISO
 * strings; fractions beyond milliseconds are cut, as a JavaScript Date holds milliseconds.
 */
export function parseTimestamp(text: string): Date | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const date = new Date(Date.UTC(2000, +mo! - 1, +d!, +h, +mi, +s, Number(frac.slice(0, 3).padEnd(3, '0'))));
  // setUTCFullYear: Date.UTC reads years 0..99 as 1900..1999.
  let ms = date.setUTCFullYear(+y!);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)) * 60_000;
  }
  return Number.isNaN(ms) ? null : new Date(ms);
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * A converter from the values a source stores to the domain value of a target column of
 * `typeClass`, counting into `counts`. `typed`: the source already returns Dates,
 * booleans and parsed JSON (PostgreSQL). `legacy`: numbers in timestamp columns below
 * 1e11 are epoch seconds (the older daemon), not milliseconds. `jsonText`: JSON text
 * (already known to be well-formed) passes as JsonText, unparsed. Returns null for values
 * that mean "no value" ('' in a non-text column), an InvalidValue for unreadable ones.
 */
export function converter(typeClass: TypeClass, counts: ConversionCounts, options: { typed: boolean; legacy: boolean; jsonText?: boolean }): Converter {
  const blank = (v: unknown) => typeof v === 'string' && v.trim() === '';
  switch (typeClass) {
    case 'timestamp':
      return (v) => {
        if (v instanceof Date) return v;
        if (blank(v)) return counts.coerced++, null;
        const number = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : null;
        if (number !== null) {
          counts[typeof v === 'number' ? 'converted' : 'coerced']++;
          return new Date(options.legacy && Math.abs(number) < 1e11 ? Math.round(number * 1000) : number);
        }
        const date = typeof v === 'string' ? parseTimestamp(v) : null;
        if (!date) return new InvalidValue('not a timestamp');
        counts.converted++;
        return date;
      };
    case 'boolean':
      return (v) => {
        if (typeof v === 'boolean') return v;
        if (v === 0 || v === 1) return counts.converted++, v === 1;
        if (typeof v === 'number' || typeof v === 'bigint') return counts.coerced++, Number(v) !== 0;
        if (blank(v)) return counts.coerced++, null;
        const text = String(v).trim().toLowerCase();
        if (['1', 'true', 't', 'yes'].includes(text)) return counts.coerced++, true;
        if (['0', 'false', 'f', 'no'].includes(text)) return counts.coerced++, false;
        return new InvalidValue('not a boolean');
      };
    case 'json':
      return (v) => {
        if (options.typed || typeof v !== 'string') return v;
        if (blank(v)) return counts.coerced++, null;
        if (options.jsonText) return counts.converted++, new JsonText(v);
        try {
          const parsed: unknown = JSON.parse(v);
          counts.converted++;
          return parsed;
        } catch {
          return new InvalidValue('malformed JSON');
        }
      };
    case 'integer':
    case 'real':
      return (v) => {
        if (typeof v === 'number') {
          if (typeClass === 'real' || Number.isInteger(v)) return v;
          return counts.coerced++, Math.trunc(v);
        }
        if (typeof v === 'bigint') return counts.converted++, Number(v);
        if (typeof v === 'boolean') return counts.coerced++, v ? 1 : 0;
        if (blank(v)) return counts.coerced++, null;
        if (typeof v === 'string' && NUMERIC.test(v)) {
          counts.coerced++;
          return typeClass === 'integer' ? Math.trunc(Number(v)) : Number(v);
        }
        return new InvalidValue(`not ${typeClass === 'integer' ? 'an integer' : 'a number'}`);
      };
    case 'text':
      return (v) => {
        if (typeof v === 'string') return v;
        counts.coerced++;
        if (v instanceof Date) return v.toISOString();
        if (Buffer.isBuffer(v)) return v.toString('utf8');
        return typeof v === 'object' ? JSON.stringify(v) : String(v);
      };
    default:
      return (v) => v;
  }
}
