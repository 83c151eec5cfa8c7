import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';
import type { Outcome } from '../support/hostile-content-child.js';
import { HOSTILE_CASES } from '../support/hostile-values.js';
import { programArgs } from '../support/programs.js';

const run = promisify(execFile);
const ZONES = ['UTC', 'Asia/Kolkata', 'America/St_Johns'];

interface ChildReport {
  offset1900: number;
  sqlite: Record<string, Outcome>;
  postgresql: Record<string, Outcome>;
}

describe('hostile content: both engines store the same value back or refuse it with the same ValidationError, in every process time zone', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  const reports = new Map<string, ChildReport>();
  async function report(tz: string): Promise<ChildReport> {
    const sqlite = createSqlitePath();
    const pg = await createPgDatabase('tc_hostile');
    cleanups.push(sqlite.remove, pg.drop);
    const { stdout } = await run(process.execPath, [...programArgs('test/support/hostile-content-child.ts'), sqlite.path, pg.url], {
      env: { ...process.env, TZ: tz },
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout) as ChildReport;
  }

  for (const tz of ZONES) {
    it(`TZ=${tz}: every case has its stated outcome on SQLite and on PostgreSQL`, async () => {
      const r = await report(tz);
      reports.set(tz, r);
      // Whole maps, so a failure lists every case that differs.
      const expected: Record<string, Outcome> = Object.fromEntries(
        HOSTILE_CASES.map((c) => [
          c.name,
          'stored' in c.expect ? { stored: c.expect.stored } : { refused: { name: 'ValidationError', code: 'TC_VALIDATION', field: c.expect.field } },
        ]),
      );
      expect(r.sqlite, 'SQLite').toEqual(expected);
      expect(r.postgresql, 'PostgreSQL').toEqual(expected);
    }, 240_000);
  }

  it('the zones really differ in 1900 (the premise), and the outcomes do not', () => {
    expect(new Set(ZONES.map((tz) => reports.get(tz)?.offset1900)).size).toBe(ZONES.length);
    const [first, ...rest] = ZONES.map((tz) => reports.get(tz)!);
    for (const r of rest) {
      expect(r.sqlite).toEqual(first!.sqlite);
      expect(r.postgresql).toEqual(first!.postgresql);
    }
  });
});
