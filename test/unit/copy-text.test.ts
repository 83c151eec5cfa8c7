import { describe, expect, it } from 'vitest';
import { copyText, timestampText } from '../../src/adapters/postgres/postgres-copy-in.js';
import { JsonText } from '../../src/ports/bulk-loader.js';

describe('COPY text encoding', () => {
  it('timestampText writes exactly what toISOString writes, across days, years and edge values', () => {
    const samples = [0, 1, 999, 1000, 59_999, 3_599_999, 86_399_999, 86_400_000, Date.UTC(2026, 2, 15, 18, 3, 10, 123), 951_782_400_000, 253_402_300_799_999, 1.7];
    let seed = 42;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      samples.push((seed / 2 ** 31) * 253_402_300_800_000);
    }
    // Before 1970, Date does the work.
    samples.push(-1, -86_400_001);
    for (const ms of samples) expect(timestampText(ms), String(ms)).toBe(new Date(ms).toISOString());
    // From the year 10000 on, without toISOString's + and leading zeros (PostgreSQL's form).
    expect(timestampText(253_402_300_800_000)).toBe('10000-01-01T00:00:00.000Z');
    expect(timestampText(8.64e15)).toBe('275760-09-13T00:00:00.000Z');
    // Going back and forth between days must not reuse a stale date.
    expect([timestampText(86_400_000 * 3 + 5), timestampText(5), timestampText(86_400_000 * 3 + 5)]).toEqual([
      '1970-01-04T00:00:00.005Z',
      '1970-01-01T00:00:00.005Z',
      '1970-01-04T00:00:00.005Z',
    ]);
    expect(() => timestampText(Number.NaN)).toThrow(RangeError);
  });

  it('copyText escapes COPY specials, writes NULL, booleans, numbers, Dates and JSON (parsed or as text)', () => {
    expect(copyText(null, false)).toBe('\\N');
    expect(copyText(undefined, true)).toBe('\\N');
    expect(copyText('a\tb\nc\rd\\e', false)).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyText(true, false)).toBe('t');
    expect(copyText(false, true)).toBe('false');
    expect(copyText(12.5, false)).toBe('12.5');
    expect(copyText(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), false)).toBe('2026-01-02T03:04:05.006Z');
    expect(copyText({ a: 'x\ny' }, true)).toBe('{"a":"x\\\\ny"}');
    expect(copyText(new JsonText('{"a": "tab\there"}'), true)).toBe('{"a": "tab\\there"}');
  });
});
