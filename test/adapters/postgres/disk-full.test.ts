import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/adapters/postgres/postgres-store.js';
import { admin, createPgDatabase } from '../../support/databases.js';

// A real full disk: system_settings moved onto a tablespace on a 2 MB tmpfs (needs root to
// mount, as the SQLite disk test), so the server itself fails to extend the table (53100).
let dir: string;
let db: Awaited<ReturnType<typeof createPgDatabase>>;
const tablespace = `tc_full_${process.pid}`;

const sql = (text: string, url?: string) => admin((c) => c.query(text), url);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tc-pg-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  const postgres = Number(execFileSync('id', ['-u', 'postgres']).toString());
  if (userInfo().uid === 0) chownSync(dir, postgres, Number(execFileSync('id', ['-g', 'postgres']).toString()));
  await sql(`CREATE TABLESPACE ${tablespace} LOCATION '${dir}'`);
  db = await createPgDatabase('tc_full');
});

afterAll(async () => {
  await db?.drop();
  await sql(`DROP TABLESPACE IF EXISTS ${tablespace}`).catch(() => {});
  execFileSync('umount', ['-l', dir]);
  rmdirSync(dir);
});

describe('PostgreSQL on a full disk', () => {
  it('a write the server cannot store for lack of space is UnavailableError (TC_UNAVAILABLE); committed rows stay and writes work once space is freed', async () => {
    const store = new PostgresStore({ url: db.url }, 'disk-full');
    try {
      await store.migrator.up();
      await sql(`ALTER TABLE system_settings SET TABLESPACE ${tablespace}`, db.url);
      // Random text does not compress, so each value takes its size on disk (in TOAST).
      const value = (i: number) => `${i}:${randomBytes(48 * 1024).toString('base64')}`;
      const values: string[] = [];
      let failure: (Error & { code?: string; cause?: unknown }) | undefined;
      for (let i = 0; i < 200 && !failure; i++) {
        const v = value(i);
        try {
          await store.repositories.settings.set(`k${i}`, v);
          values.push(v);
        } catch (error) {
          failure = error as Error & { code?: string };
        }
      }
      expect(failure, 'the tablespace never filled up').toBeDefined();
      expect(values.length).toBeGreaterThan(0);
      expect(failure!.code).toBe('TC_UNAVAILABLE');
      expect((failure!.cause as { code?: string }).code).toBe('53100');
      for (const [i, v] of values.entries()) expect(await store.repositories.settings.get(`k${i}`)).toBe(v);

      await sql(`ALTER TABLE system_settings SET TABLESPACE pg_default`, db.url);
      await store.repositories.settings.set('after', 'space freed');
      expect(await store.repositories.settings.get('after')).toBe('space freed');
    } finally {
      await store.close();
    }
  });
});
