import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { COPY_JOURNAL_TABLE } from '../../src/ports/bulk-loader.js';
import { seedEveryTable } from '../support/copy-fixtures.js';
import { createPgDatabase, createSqlitePath, pgAdminUrl } from '../support/databases.js';
import { cliArgs } from '../support/programs.js';

// Every password below is built from this marker, so any fragment of one (split at @, /, #, :) contains it.
const MARK = 'Zq8v';
/** Lines holding the marker; the `$ command` headers this test writes (with the arguments given) are not output. */
const leaks = (text: string) => text.split('\n').filter((line) => line.includes(MARK) && !line.startsWith('$ teleclaude-db'));

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** Runs the real CLI in a child process; resolves with everything it wrote (stdout and stderr). */
function cli(argv: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgs(), ...argv], { env: { PATH: process.env.PATH!, HOME: '/nonexistent', ...env }, cwd: '/' });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

interface Form {
  name: string;
  /** Where the password sits, for a database on `hostPort` named `database`. */
  make(hostPort: string, database: string): { env: Record<string, string>; configYaml?: string; url: string };
}

const user = 'postgres';
// Each password holds what URLs make hard: @, /, #, : and a percent sign.
const FORMS: Form[] = [
  { name: 'userinfo of DATABASE_URL', make: (h, d) => url(`postgresql://${user}:${MARK}-a${MARK}@${h}/${d}`) },
  { name: 'unencoded @ in the password (u:pa@ss@host)', make: (h, d) => url(`postgresql://${user}:${MARK}@${MARK}@${h}/${d}`) },
  { name: 'unencoded @, / and # in the password', make: (h, d) => url(`postgresql://${user}:${MARK}@${MARK}/${MARK}#${MARK}@${h}/${d}`) },
  { name: 'percent-encoded password', make: (h, d) => url(`postgresql://${user}:${MARK}%40${MARK}%2F${MARK}%25@${h}/${d}`) },
  { name: '?password= parameter', make: (h, d) => url(`postgresql://${user}@${h}/${d}?password=${MARK}-param${MARK}`) },
  {
    name: 'PGPASSWORD with PGHOST/PGPORT/PGUSER/PGDATABASE',
    make: (h, d) => {
      const [host, port] = h.split(':');
      return {
        env: { TELECLAUDE_DB_ENGINE: 'postgresql', PGHOST: host!, PGPORT: port!, PGUSER: user, PGDATABASE: d, PGPASSWORD: `${MARK}:env@${MARK}` },
        url: `postgresql://${user}@${h}/${d}`,
      };
    },
  },
  {
    name: 'YAML password:',
    make: (h, d) => {
      const [host, port] = h.split(':');
      return {
        env: {},
        configYaml: `database:\n  engine: postgresql\n  postgresql:\n    host: ${host}\n    port: ${port}\n    user: ${user}\n    database: ${d}\n    password: "${MARK}/yaml@${MARK}"\n`,
        url: `postgresql://${user}@${h}/${d}`,
      };
    },
  },
  {
    name: 'YAML url: with a password',
    make: (h, d) => ({ env: {}, configYaml: `database:\n  engine: postgresql\n  postgresql:\n    url: "postgresql://${user}:${MARK}@y${MARK}@${h}/${d}"\n`, url: `postgresql://${user}:${MARK}@y${MARK}@${h}/${d}` }),
  },
];

/** Runs the tasks three at a time (the CLI runs are whole processes). */
async function inBatches(tasks: (() => Promise<string>)[]): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < tasks.length; i += 3) results.push(...(await Promise.all(tasks.slice(i, i + 3).map((task) => task()))));
  return results;
}

function url(value: string): { env: Record<string, string>; url: string } {
  return { env: { DATABASE_URL: value }, url: value };
}

describe('no password, in any form, appears in any output of any command', () => {
  let hostPort: string;
  let dir: string;
  let sqliteSource: string;
  beforeAll(async () => {
    hostPort = new URL(pgAdminUrl()).host;
    dir = mkdtempSync(join(tmpdir(), 'tc-secrets-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = createSqlitePath();
    cleanup.push(file.remove);
    sqliteSource = file.path;
    const store = new SqliteStore({ path: sqliteSource });
    await store.migrator.up();
    await seedEveryTable(store, () => 20);
    await store.close();
  });

  /**
   * Every command, for one form, in child processes (a few at a time): init and migrate
   * first, then the readers and both copies (into `copyTarget`, and a dry run out of the
   * database), then down. Unreachable hosts get the commands that connect.
   */
  async function everyCommand(form: Form, database: string, copyTarget: string, host = hostPort, reachable = true): Promise<string> {
    const { env, configYaml, url: location } = form.make(host, database);
    const copyInto = form.make(host, copyTarget);
    const config: string[] = [];
    if (configYaml) {
      const path = join(dir, `${database}-${host.replace(/\W/g, '_')}.yml`);
      writeFileSync(path, configYaml);
      config.push('--config', path);
    }
    const run = async (argv: string[], runEnv = env) => {
      const result = await cli(argv, runEnv);
      return `$ teleclaude-db ${argv.join(' ')} -> ${result.code}\n${result.output}`;
    };
    const readers = [
      ['status', ...config],
      ['status', '--json', ...config],
      ['check', ...config],
      ['lock', ...config],
      ['lock', '--json', ...config],
    ];
    // copy takes locations, not the config: a URL (its password inside, or from PGPASSWORD)
    const copies: [string[], Record<string, string>][] = [
      [['copy', '--from', sqliteSource, '--to', copyInto.url, '--verify'], copyInto.env],
      [['copy', '--from', location, '--to', join(dir, `${copyTarget}.db`), '--dry-run'], env],
    ];
    if (!reachable) {
      // Each fails at connect, the same way for every command that connects: one of each kind.
      const failing = [['migrate', ...config], ['status', ...config], ['check', ...config], ['lock', '--json', ...config]];
      return (await inBatches([...failing.map((argv) => () => run(argv)), () => run(...copies[0]!)])).join('\n');
    }
    const outputs = [await run(['init', ...config]), await run(['migrate', ...config])];
    outputs.push(...(await inBatches([...readers.map((argv) => () => run(argv)), ...copies.map(([argv, e]) => () => run(argv, e))])));
    outputs.push(await run(['down', '--to', '001_foundation', ...config]));
    return outputs.join('\n');
  }

  for (const [index, form] of FORMS.entries()) {
    it(`${form.name}: reachable server (status, check, lock, migrate, init, down, copy and its report)`, async () => {
      const db = await createPgDatabase('tc_secrets');
      const target = await createPgDatabase('tc_secrets_copy');
      cleanup.push(db.drop, target.drop);
      const all = await everyCommand(form, db.name, target.name);
      expect(leaks(all), all).toEqual([]);
      // The runs did real work, so there was something to leak.
      expect(all).toContain('engine:   postgresql');
      expect(all).toMatch(/verify: every table has the same rows and checksum/);
      expect(all).toContain(`postgresql://${user}`);
    }, 180_000);

    // An unknown host for every form (a password fragment taken for the host would show in
    // getaddrinfo's error); a refused connection for two, as its error names no host name.
    const unreachable = index < 2 ? ['db.invalid:5432', '127.0.0.1:1'] : ['db.invalid:5432'];
    it(`${form.name}: unreachable servers (${unreachable.join(', ')})`, async () => {
      for (const host of unreachable) {
        const all = await everyCommand(form, 'tc_nowhere', 'tc_nowhere_copy', host, false);
        expect(leaks(all), all).toEqual([]);
        expect(all).toMatch(host.startsWith('127') ? /ECONNREFUSED|connect/ : /ENOTFOUND db\.invalid/);
        expect(all).not.toMatch(/ENOTFOUND (?!db\.invalid)/);
      }
    }, 180_000);
  }

  it('the copy journal on the target records the source without its password, and the refusals that quote it too', async () => {
    const source = await createPgDatabase('tc_secrets_src');
    cleanup.push(source.drop);
    const seeded = new PostgresStore({ url: source.url }, 'x');
    await seeded.migrator.up();
    await seedEveryTable(seeded, (table) => (table === 'sessions' ? 6000 : 3000));
    await seeded.close();
    const from = `postgresql://${user}:${MARK}@${MARK}/${MARK}@${hostPort}/${source.name}?password=${MARK}p`;
    const targetFile = join(dir, 'journal-target.db');
    const child = spawn(process.execPath, [...cliArgs(), 'copy', '--from', from, '--to', targetFile, '--batch-size', '200'], {
      env: { PATH: process.env.PATH!, HOME: '/nonexistent' },
      cwd: '/',
      stdio: 'ignore',
    });
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    const journalRows = () => {
      try {
        const db = new Database(targetFile, { readonly: true, fileMustExist: true });
        try {
          return db.prepare(`SELECT * FROM ${COPY_JOURNAL_TABLE}`).all() as { source: string }[];
        } finally {
          db.close();
        }
      } catch {
        return [];
      }
    };
    let done = false;
    void exit.then(() => (done = true));
    while (!done && journalRows().length === 0) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exit).toBe('SIGKILL');
    const rows = journalRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.source).toContain(`postgresql://${user}:****@${hostPort}/${source.name}`);
    expect(leaks(JSON.stringify(rows))).toEqual([]);

    const refused = await cli(['status'], { TELECLAUDE_DB_PATH: targetFile });
    const migrate = await cli(['migrate'], { TELECLAUDE_DB_PATH: targetFile });
    const resumed = await cli(['copy', '--from', from, '--to', targetFile, '--resume', '--verify'], {});
    const all = [refused.output, migrate.output, resumed.output].join('\n');
    expect(migrate.output).toContain('TC_COPY_UNFINISHED');
    expect(resumed.code, resumed.output).toBe(0);
    expect(leaks(all), all).toEqual([]);
  }, 180_000);
});
