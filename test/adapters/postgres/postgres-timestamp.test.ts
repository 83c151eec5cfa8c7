import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { parseTimestamptz } from '../../../src/adapters/postgres/postgres-types.js';
import { createPgDatabase } from '../../support/databases.js';
import pg from 'pg';

/** Instants around the zones' historical offsets (local mean times with seconds), the domain's edges and JavaScript's. */
const INSTANTS = [
  '0001-01-01T00:00:00.000Z',
  '0099-06-15T12:00:00.000Z',
  '1000-02-29T23:59:59.999Z'.replace('02-29', '02-28'),
  '1850-01-01T00:00:00.000Z',
  '1854-06-28T12:00:00.000Z',
  '1870-01-01T00:00:00.000Z',
  '1900-01-01T00:00:00.000Z',
  '1905-12-31T23:59:59.999Z',
  '1935-03-30T12:00:00.000Z',
  '1970-01-01T00:00:00.000Z',
  '2024-02-29T08:15:30.123Z',
  '9999-12-31T23:59:59.999Z',
];
const SERVER_ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Pacific/Kiritimati'];
const PROCESS_ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns'];

describe('PostgreSQL timestamptz: the same instant back whatever the server and process time zones', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let store: PostgresStore;
  const originalTz = process.env.TZ;

  beforeAll(async () => {
    db = await createPgDatabase('tc_timestamps');
    // A database whose sessions default to a zone with historical offsets in seconds.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${db.name} SET TimeZone = 'Asia/Kolkata'`);
    await admin.end();
    store = new PostgresStore({ url: db.url }, 'x');
  });
  afterAll(async () => {
    process.env.TZ = originalTz;
    await store?.close();
    await db?.drop();
  });

  it('the session of a database set to Asia/Kolkata prints instants with LMT offsets (the premise)', async () => {
    const { rows } = await store.database.query<{ tz: string; text: string }>(
      "SELECT current_setting('TimeZone') AS tz, '1850-01-01 00:00:00+00'::timestamptz::text AS text",
    );
    expect(rows[0]).toEqual({ tz: 'Asia/Kolkata', text: '1850-01-01 05:53:28+05:53:28' });
  });

  for (const processZone of PROCESS_ZONES) {
    it(`a Date sent and read back is the same instant, as the server counts it (process TZ=${processZone})`, async () => {
      process.env.TZ = processZone; // Node re-reads the zone when TZ is assigned
      for (const serverZone of SERVER_ZONES) {
        await store.database.transaction(async (tx) => {
          await tx.query(`SET LOCAL TimeZone = '${serverZone}'`);
          for (const iso of INSTANTS) {
            const date = new Date(iso);
            // The server's own count of milliseconds since 1970 is the reference, independent of both directions of parsing.
            const { rows } = await tx.query<{ back: Date; ms: string; text: string }>(
              'SELECT $1::timestamptz AS back, (extract(epoch FROM $1::timestamptz) * 1000)::bigint::text AS ms, $1::timestamptz::text AS text',
              [date],
            );
            const where = `${iso} in ${serverZone} (server text ${rows[0]!.text})`;
            expect(Number(rows[0]!.ms), where).toBe(date.getTime());
            expect(rows[0]!.back.toISOString(), where).toBe(iso);
          }
        });
      }
    });
  }

  it("reads JavaScript's last instant in a zone ahead of UTC (was Invalid Date)", async () => {
    const { rows } = await store.database.query<{ t: Date; text: string }>("SELECT '275760-09-13 00:00:00+00'::timestamptz AS t, '275760-09-13 00:00:00+00'::timestamptz::text AS text");
    expect(rows[0]!.text).toBe('275760-09-13 05:30:00+05:30');
    expect(rows[0]!.t.getTime()).toBe(8.64e15);
    // Outside the domain's range, but the adapter's own round trip of JavaScript's edges holds too.
    for (const ms of [8.64e15, -62167219200000 /* 0000-01-01, 1 BC */]) {
      const { rows: back } = await store.database.query<{ t: Date }>('SELECT $1::timestamptz AS t', [new Date(ms)]);
      expect(back[0]!.t.getTime()).toBe(ms);
    }
  });

  it('refuses, with an error, instants no Date can hold instead of returning Invalid Date', async () => {
    await expect(store.database.query("SELECT '275760-09-13 00:00:00.001+00'::timestamptz AS t")).rejects.toThrow(/outside JavaScript's Date range/);
    await expect(store.database.query("SELECT 'infinity'::timestamptz AS t")).rejects.toThrow(/infinity has no JavaScript Date/);
  });

  it('a session whose DateStyle is not ISO fails clearly instead of reading another instant', async () => {
    await expect(
      store.database.transaction(async (tx) => {
        await tx.query("SET LOCAL DateStyle = 'SQL, DMY'");
        return tx.query("SELECT '2024-03-04 05:06:07+00'::timestamptz AS t");
      }),
    ).rejects.toThrow(/DateStyle/);
  });

  it('parses BC years, two-digit years, microseconds and offsets with seconds', () => {
    expect(parseTimestamptz('0001-01-01 00:00:00+00 BC').toISOString()).toBe('0000-01-01T00:00:00.000Z');
    expect(parseTimestamptz('0044-03-15 12:00:00+00 BC').toISOString()).toBe('-000043-03-15T12:00:00.000Z');
    expect(parseTimestamptz('0050-06-01 00:00:00+00').toISOString()).toBe('0050-06-01T00:00:00.000Z');
    expect(parseTimestamptz('2024-01-01 00:00:00.123999+00').toISOString()).toBe('2024-01-01T00:00:00.123Z');
    expect(parseTimestamptz('1850-01-01 05:53:28+05:53:28').toISOString()).toBe('1850-01-01T00:00:00.000Z');
    expect(parseTimestamptz('1899-12-31 20:29:08-03:30:52').toISOString()).toBe('1900-01-01T00:00:00.000Z');
    expect(() => parseTimestamptz('01/01/2024 00:00:00 UTC')).toThrow(/DateStyle/);
  });
});
