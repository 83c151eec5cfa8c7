import pg from 'pg';

const DAY_MS = 86_400_000;
// ISO DateStyle output of timestamptz: `2024-05-01 12:34:56.789+02`, `1850-01-01 05:53:28+05:53:28`, `... BC`.
const TIMESTAMPTZ = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?( BC)?$/;

/**
 * timestamptz text -> Date, in UTC arithmetic only. pg's default parser builds the day
 * with Date.UTC including the time of day, so a value whose local wall time lies past
 * JavaScript's last date (`+275760-09-13 05:30:00+05:30` in a session whose TimeZone is
 * Asia/Kolkata) became Invalid Date without an error; here the day, the time and the
 * offset (which PostgreSQL prints with seconds for historical local mean times, e.g.
 * `+05:53:28`) are added as milliseconds, whatever the server's or the process's zone.
 * Text this parser does not know (another DateStyle) throws instead of guessing.
 */
export function parseTimestamptz(text: string): Date {
  if (text === 'infinity' || text === '-infinity') throw new RangeError(`timestamptz ${text} has no JavaScript Date`);
  const m = TIMESTAMPTZ.exec(text);
  if (!m) throw new RangeError(`unrecognised timestamptz text ${JSON.stringify(text)} (is the session's DateStyle ISO?)`);
  let year = Number(m[1]);
  if (m[12]) year = 1 - year; // 1 BC is year 0
  const time = ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1000 + (m[7] ? Math.trunc(Number(`0.${m[7]}`) * 1000 + 1e-6) : 0);
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * ((Number(m[9]) * 60 + Number(m[10] ?? 0)) * 60 + Number(m[11] ?? 0)) * 1000 : 0;
  const ms = daysFromCivil(year, Number(m[2]), Number(m[3])) * DAY_MS + time - offset;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new RangeError(`timestamptz ${text} lies outside JavaScript's Date range`);
  return date;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), without Date's range limits (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/**
 * Type parsers of this package: int8 (counts, identities) as a JS number instead of a
 * string, timestamptz by parseTimestamptz.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
      if (oid === pg.types.builtins.TIMESTAMPTZ) return parseTimestamptz;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * Query parameters with every Date (also inside an array parameter) as its ISO text in
 * UTC. pg would write a Date in the process's local time with the offset cut to whole
 * minutes, which moves dates of zones whose historical offset had seconds (Asia/Kolkata
 * before 1906: +05:53:28, +05:21:10) by up to a minute. Its global switch
 * (`pg.defaults.parseInputDatesAsUTC`) would change every other pg user in the process.
 */
export function utcParams(params: unknown[] | undefined): unknown[] | undefined {
  if (!params) return params;
  let out: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    const converted = value instanceof Date ? utcText(value) : Array.isArray(value) && value.some((v) => v instanceof Date) ? value.map((v) => (v instanceof Date ? utcText(v) : v)) : value;
    if (converted !== value) (out ??= [...params])[i] = converted;
  }
  return out ?? params;
}

function utcText(date: Date): string {
  // toISOString throws RangeError on Invalid Date: a clear error rather than pg's deprecated 'infinity'.
  const iso = date.toISOString();
  const year = date.getUTCFullYear();
  if (year >= 1 && year <= 9999) return iso;
  // PostgreSQL reads neither ISO's expanded years (+012345) nor year 0 or below; it writes them like this.
  const bc = year <= 0;
  return `${String(bc ? 1 - year : year).padStart(4, '0')}${iso.slice(iso.indexOf('-', 1))}${bc ? ' BC' : ''}`;
}
