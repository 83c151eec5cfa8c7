import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/open-store.js';
import { COPY_JOURNAL_TABLE } from '../../src/ports/bulk-loader.js';
import { seedEveryTable } from '../support/copy-fixtures.js';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';
import { cliArgs } from '../support/programs.js';

const root = join(import.meta.dirname, '..', '..');
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false, env, cwd: '/tmp' };
  const code = await main(argv, io);
  return { code, output: lines.join('\n') };
}

/** Journal rows committed in the target so far (0 while there is no journal). */
type JournalCount = () => Promise<number>;

interface Target {
  location: string;
  env: NodeJS.ProcessEnv;
  count: JournalCount;
  /** The engine suspends foreign keys during a copy (PostgreSQL). */
  suspends: boolean;
}

const targets: Record<string, () => Promise<Target>> = {
  sqlite: async () => {
    const file = createSqlitePath();
    cleanup.push(file.remove);
    const count: JournalCount = async () => {
      const db = new Database(file.path, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM ${COPY_JOURNAL_TABLE}`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    return { location: file.path, env: { TELECLAUDE_DB_PATH: file.path }, count, suspends: false };
  },
  postgresql: async () => {
    const db = await createPgDatabase('tc_unfinished');
    cleanup.push(db.drop);
    const count: JournalCount = async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return Number((await client.query(`SELECT count(*) AS n FROM ${COPY_JOURNAL_TABLE}`)).rows[0].n);
      } finally {
        await client.end();
      }
    };
    return { location: db.url, env: { DATABASE_URL: db.url }, count, suspends: true };
  },
};

/** A real copy in a child process, SIGKILLed as soon as its first table is committed. */
async function interruptedCopy(source: string, target: string, journal: JournalCount): Promise<void> {
  const proc = spawn(process.execPath, [...cliArgs(), 'copy', '--from', source, '--to', target, '--batch-size', '200'], {
    cwd: root,
    stdio: 'ignore',
  });
  const exit = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  let done = false;
  void exit.then(() => (done = true));
  while (!done && !((await journal().catch(() => 0)) >= 1)) await new Promise((r) => setTimeout(r, 10));
  proc.kill('SIGKILL');
  expect(await exit, 'the copy finished before it could be interrupted').toBe('SIGKILL');
}

describe.each(Object.entries(targets))('a database holding an unfinished copy (%s target)', (_engine, make) => {
  let source: string;
  let target: Target;
  beforeAll(async () => {
    const file = createSqlitePath();
    cleanup.push(file.remove);
    source = file.path;
    const store = new SqliteStore({ path: source });
    await store.migrator.up();
    await seedEveryTable(store, (table) => (table === 'sessions' ? 6000 : 3000));
    await store.close();
    target = await make();
    await interruptedCopy(source, target.location, target.count);
  });

  const finish = () => `teleclaude-db copy --from ${source} --to ${target.location} --resume`;

  it('openStore refuses it with TC_COPY_UNFINISHED, naming the copy to finish', async () => {
    const error = await openStore({ env: target.env, cwd: '/nonexistent', autoMigrate: true }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toBe('TC_COPY_UNFINISHED');
    expect(error?.message).toContain(finish());
    if (target.suspends) expect(error?.message).toMatch(/\d+ foreign key\(s\) suspended/);
  });

  it('every CLI command but status, copy --resume and copy --verify refuses it, changing nothing', async () => {
    const before = await target.count();
    for (const argv of [['init'], ['migrate'], ['down'], ['check'], ['seed', '--sessions', '1'], ['reset', '--yes'], ['copy', '--from', source, '--to', target.location]]) {
      const run = await cli(target.env, ...argv);
      expect(run.code, argv.join(' ')).toBe(1);
      expect(run.output, argv.join(' ')).toContain('[TC_COPY_UNFINISHED]');
      expect(run.output, argv.join(' ')).toContain(finish());
    }
    expect(await target.count()).toBe(before);
    const status = await cli(target.env, 'status');
    expect(status.code).toBe(0);
    expect(status.output).toContain(`copy:     UNFINISHED: ${target.location} holds an unfinished copy`);
    const json = JSON.parse((await cli(target.env, 'status', '--json')).output) as { unfinishedCopy: { tables: number; sources: string[] } };
    expect(json.unfinishedCopy.tables).toBe(before);
    expect(json.unfinishedCopy.sources[0]).toContain(source);
  });

  it('copy --verify compares without refusing; copy --resume finishes it, and then the daemon opens it', async () => {
    const verify = await cli({}, 'copy', '--from', source, '--to', target.location, '--verify');
    expect(verify.output).not.toContain('TC_COPY_UNFINISHED');
    expect(verify.code).toBe(1); // tables are missing: verification fails, as it should
    const resumed = await cli({}, 'copy', '--from', source, '--to', target.location, '--resume', '--verify');
    expect(resumed.code, resumed.output).toBe(0);
    const store = await openStore({ env: target.env, cwd: '/nonexistent', instanceLock: false });
    try {
      expect((await store.inspector.rowCounts()).sessions).toBe(6000);
    } finally {
      await store.close();
    }
  });
});
