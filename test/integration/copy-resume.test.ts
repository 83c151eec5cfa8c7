import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { COPY_JOURNAL_TABLE } from '../../src/ports/bulk-loader.js';
import { seedEveryTable } from '../support/copy-fixtures.js';
import { buildLegacyFixture } from '../support/legacy-fixture.js';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';
import { runCopy } from '../support/copy-cli.js';
import { cliArgs } from '../support/programs.js';

const root = join(import.meta.dirname, '..', '..');
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const copy = (...args: string[]) => runCopy(args);

/**
 * Runs `teleclaude-db copy` in a child process. With `killWhen`, polls it and SIGKILLs
 * the child `extraMs` after it first returns true. Resolves with the elapsed time.
 */
function child(args: string[], killWhen?: () => Promise<boolean>, extraMs = 0): Promise<{ ms: number; killed: boolean }> {
  const started = Date.now();
  const proc = spawn(process.execPath, [...cliArgs(), 'copy', ...args], { cwd: root, stdio: 'ignore' });
  let exited = false;
  const poll = async () => {
    while (!exited && killWhen && !(await killWhen().catch(() => false))) await new Promise((r) => setTimeout(r, 20));
    setTimeout(() => proc.kill('SIGKILL'), extraMs);
  };
  if (killWhen) void poll();
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      exited = true;
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`copy exited with ${code}`));
      else resolve({ ms: Date.now() - started, killed: signal === 'SIGKILL' });
    });
  });
}

function sqlitePath(): string {
  const file = createSqlitePath();
  cleanup.push(file.remove);
  return file.path;
}

async function pgUrl(): Promise<string> {
  const db = await createPgDatabase('tc_resume');
  cleanup.push(db.drop);
  return db.url;
}

describe('copy survives SIGKILL', () => {
  let source: string;

  beforeAll(async () => {
    source = sqlitePath();
    const store = new SqliteStore({ path: source });
    await store.migrator.up();
    await seedEveryTable(store, (table) => (table === 'sessions' ? 12_000 : 6_000));
    await store.close();
  });

  it('SIGKILL at several random points, then --resume, then --verify passes and no journal is left', async () => {
    // Kill once the journal lists `finished` tables, plus a random delay: mid-table or between tables.
    const points = [0, 2, 5, 8, 11].map((finished) => ({ finished, extraMs: Math.round(Math.random() * 150) }));
    let interrupted = 0;
    for (const { finished, extraMs } of points) {
      const at = `${finished} tables + ${extraMs} ms`;
      const target = await pgUrl();
      const probe = new pg.Client({ connectionString: target });
      await probe.connect();
      const journalHas = async () =>
        Number((await probe.query(`SELECT count(*) AS n FROM ${COPY_JOURNAL_TABLE}`)).rows[0].n) >= finished;
      const run = await child(['--from', source, '--to', target, '--batch-size', '200'], journalHas, extraMs);
      await probe.end();
      if (run.killed) interrupted++;
      const refused = await copy('--from', source, '--to', target);
      if (run.killed && refused.code !== 0) expect(refused.output, `kill at ${at} ms`).toMatch(/--resume/);
      const resumed = await copy('--from', source, '--to', target, '--resume', '--verify');
      expect(resumed.code, `kill at ${at} ms:\n${resumed.output}`).toBe(0);
      expect(resumed.output).toContain('verify: every table has the same rows and checksum');
      const after = new pg.Client({ connectionString: target });
      await after.connect();
      expect((await after.query(`SELECT to_regclass('${COPY_JOURNAL_TABLE}') AS t`)).rows[0].t).toBeNull();
      await after.end();
    }
    expect(interrupted).toBeGreaterThanOrEqual(4);
  }, 180_000); // five killed copies and their resumes: about 20 s alone, over 60 s on a loaded machine

  it('--resume refuses another source, or the same one changed since the interruption', async () => {
    const target = await pgUrl();
    const probe = new pg.Client({ connectionString: target });
    await probe.connect();
    const journalHas = async () => Number((await probe.query(`SELECT count(*) AS n FROM ${COPY_JOURNAL_TABLE}`)).rows[0].n) >= 2;
    const run = await child(['--from', source, '--to', target, '--batch-size', '200'], journalHas);
    await probe.end();
    expect(run.killed).toBe(true);

    const other = sqlitePath();
    copyFileSync(source, other);
    const elsewhere = await copy('--from', other, '--to', target, '--resume');
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.output).toContain(`the interrupted copy read ${source}, last written`);
    expect(elsewhere.output).toContain(`this source is ${other}`);

    // Set back in seconds with their fraction: a Date (whole ms) set back can land just below
    // the original millisecond once the -wal no longer stands in for the file's time.
    const { atimeMs, mtimeMs } = statSync(source);
    utimesSync(source, atimeMs / 1000, (mtimeMs + 60_000) / 1000); // as if the daemon had written since
    try {
      const changed = await copy('--from', source, '--to', target, '--resume');
      expect(changed.code).toBe(1);
      expect(changed.output).toMatch(/resumes only from the same, unchanged source/);
    } finally {
      utimesSync(source, atimeMs / 1000, mtimeMs / 1000);
    }
    const resumed = await copy('--from', source, '--to', target, '--resume', '--verify');
    expect(resumed.code, resumed.output).toBe(0);
  });

  it('a resumed legacy import leaves the same reject file as an uninterrupted one', async () => {
    const legacy = `${sqlitePath()}.legacy.db`;
    cleanup.push(() => import('node:fs').then((fs) => fs.rmSync(legacy, { force: true })));
    buildLegacyFixture(legacy, { rows: 8_000, record: false });

    const straight = sqlitePath();
    const straightRejects = `${straight}.rejects`;
    expect((await copy('--from', legacy, '--to', straight, '--reject-file', straightRejects)).code).toBe(0);

    const target = sqlitePath();
    const rejects = `${target}.rejects`;
    // Killed after the parents (sessions, links) committed and while children with orphans are copied.
    const journal = async () => {
      if (!existsSync(target)) return false;
      const db = new Database(target, { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM ${COPY_JOURNAL_TABLE}`).get() as { n: number }).n >= 7;
      } finally {
        db.close();
      }
    };
    const run = await child(['--from', legacy, '--to', target, '--reject-file', rejects, '--batch-size', '100'], journal, 50);
    expect(run.killed).toBe(true);
    const resumed = await copy('--from', legacy, '--to', target, '--reject-file', rejects, '--resume', '--verify');
    expect(resumed.code, resumed.output).toBe(0);
    const sorted = (path: string) => readFileSync(path, 'utf8').trim().split('\n').sort();
    expect(sorted(rejects)).toEqual(sorted(straightRejects));
  });
});
