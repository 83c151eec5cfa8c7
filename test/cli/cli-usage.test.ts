import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { cliArgs } from '../support/programs.js';

const dir = mkdtempSync(join(tmpdir(), 'tc-cli-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false, env, cwd: dir });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The real process, with nothing of this environment but PATH, so stdout/stderr are pipes. */
async function child(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return promisify(execFile)(process.execPath, [...cliArgs(), ...argv], { env: { PATH: process.env.PATH, HOME: dir, ...env }, cwd: dir }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
}

describe('teleclaude-db command line', () => {
  const db = join(dir, 'teleclaude.db');
  const sqlite = { TELECLAUDE_DB_PATH: db };

  it('takes --config before or after the command, with or without =', async () => {
    expect((await cli(sqlite, 'init')).code).toBe(0);
    const config = join(dir, 'teleclaude.yml');
    writeFileSync(config, `database:\n  engine: sqlite\n  sqlite:\n    path: ${db}\n`);
    const runs = [
      await cli({}, '--config', config, 'status', '--json'),
      await cli({}, 'status', '--config', config, '--json'),
      await cli({}, 'status', '--json', `--config=${config}`),
    ];
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect((JSON.parse(run.out) as { location: string }).location).toBe(db);
    }
  });

  it('an unknown option, a missing value or an unknown command: one line naming it, exit 2', async () => {
    for (const [argv, named] of [
      [['lock', '--bogus'], "unknown option '--bogus'"],
      [['migrate', '--to'], "'--to <NAME>' argument missing"],
      [['status', '--config'], "'--config <PATH>' argument missing"],
      [['frobnicate'], "unknown command 'frobnicate'"],
      [['status', 'extra'], 'too many arguments'],
    ] as const) {
      const run = await child(sqlite, ...argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.out, argv.join(' ')).toBe('');
      const lines = run.err.trimEnd().split('\n');
      expect(lines, argv.join(' ')).toHaveLength(1);
      expect(lines[0]).toContain(named);
      expect(lines[0]).toMatch(/^teleclaude-db( \w+)?: .*; run 'teleclaude-db( \w+)? --help'$/);
    }
  });

  it('help: generated for every command, exit 0; no command at all prints it and exits 2', async () => {
    const overview = await child({}, '--help');
    expect(overview.code).toBe(0);
    for (const name of ['init', 'migrate', 'down', 'status', 'check', 'lock', 'reset', 'seed', 'copy']) expect(overview.out).toContain(`  ${name}`);
    const viaHelp = await child({}, 'help', 'copy');
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toContain('--reject-file PATH');
    const none = await child({});
    expect(none.code).toBe(2);
    expect(none.err).toContain('Usage: teleclaude-db <command> [options]');
  });

  it('status, check, down, seed and reset on a mistyped SQLite path fail clearly and create nothing', async () => {
    const typo = join(dir, 'sub', 'teleclade.db');
    for (const argv of [['status'], ['status', '--json'], ['check'], ['down'], ['seed', '--sessions', '1'], ['reset', '--yes']]) {
      const run = await child({ TELECLAUDE_DB_PATH: typo }, ...argv);
      expect(run.code, argv.join(' ')).toBe(1);
      expect(run.err).toContain(`no database at ${typo}`);
      expect(run.err).toContain('[TC_CONFIG]');
      expect(existsSync(typo)).toBe(false);
      expect(existsSync(dirname(typo))).toBe(false);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('teleclade'))).toEqual([]);
  });

  it('a bad port inside DATABASE_URL is named as the port, without quoting the URL', async () => {
    for (const [url, reason] of [
      ['postgresql://tc:s3cret@db.example:54x2/teleclaude', 'port must be a number from 1 to 65535'],
      ['postgresql://tc:s3cret@db.example:99999/teleclaude', 'port must be at most 65535'],
    ]) {
      const run = await child({ DATABASE_URL: url }, 'status');
      expect(run.code).toBe(1);
      expect(run.err).toContain(`database.postgresql.url: ${reason} (from DATABASE_URL)`);
      expect(run.err).not.toContain('s3cret');
    }
  });

  it('PGPORT=abc does not break an SQLite command, and still is refused for PostgreSQL', async () => {
    const onSqlite = await child({ ...sqlite, PGPORT: 'abc' }, 'status', '--json');
    expect(onSqlite.err).toBe('');
    expect(onSqlite.code).toBe(0);
    expect((JSON.parse(onSqlite.out) as { engine: string }).engine).toBe('sqlite');
    const onPostgres = await child({ DATABASE_URL: 'postgresql://tc@127.0.0.1/teleclaude', PGPORT: 'abc' }, 'status');
    expect(onPostgres.code).toBe(1);
    expect(onPostgres.err).toContain('database.postgresql.port: must be a number (from PGPORT)');
  });

  it('--json on every command that reports: one JSON object on stdout, nothing else there', async () => {
    const file = join(dir, 'json.db');
    const env = { TELECLAUDE_DB_PATH: file };
    const json = async (...argv: string[]) => {
      const run = await child(env, ...argv);
      expect(run.code, `${argv.join(' ')}: ${run.err}`).toBe(0);
      return JSON.parse(run.out) as Record<string, unknown>;
    };
    expect(await json('migrate', '--json', '--to', '001_foundation')).toEqual({ engine: 'sqlite', location: file, applied: ['001_foundation'] });
    const rest = await json('migrate', '--json');
    expect((rest.applied as string[]).length).toBeGreaterThan(1);
    expect(await json('check', '--json')).toMatchObject({ engine: 'sqlite', location: file, ok: true, problems: [], warnings: [] });
    const seeded = await json('seed', '--sessions', '4', '--json');
    expect(seeded).toMatchObject({ engine: 'sqlite', location: file, unseeded: expect.any(Array) });
    expect(seeded.written).toContainEqual({ table: 'sessions', rows: 4 });
    expect(seeded.rows).toBe((seeded.written as { rows: number }[]).reduce((sum, w) => sum + w.rows, 0));
    const status = await json('status', '--json');
    expect((status.rows as Record<string, number>).sessions).toBe(4);
    expect(await json('lock', '--json')).toMatchObject({ held: false, holder: null });

    const target = join(dir, 'json-copy.db');
    const run = await child({}, 'copy', '--from', file, '--to', target, '--json', '--reject-file', join(dir, 'rejects.jsonl'));
    expect(run.code, run.err).toBe(0);
    const copied = JSON.parse(run.out) as { from: string; to: string; dryRun: boolean; exitCode: number; report: { tables: { table: string; rows: number }[]; rejects: number } };
    expect(copied).toMatchObject({ from: file, to: target, dryRun: false, exitCode: 0, report: { rejects: 0 } });
    expect(copied.report.tables.find((t) => t.table === 'sessions')!.rows).toBe(4);
    // The human report still exists, on stderr; and no terminal codes anywhere (not a terminal).
    expect(run.err).toContain('copy: ');
    expect(run.out + run.err).not.toContain('\x1b');

    const downed = await json('down', '--json');
    expect(downed).toMatchObject({ engine: 'sqlite', location: file, reverted: [(rest.applied as string[]).at(-1)] });

    // check --json reports a problem and exits 1, still with its JSON.
    const failing = await child(env, 'check', '--json');
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.out)).toMatchObject({ ok: false, problems: [expect.stringContaining('pending migration(s)')] });
  });

  it("on a terminal, copy's progress goes through the one status line, never as raw codes in its output", async () => {
    const source = join(dir, 'progress-source.db');
    expect((await cli({ TELECLAUDE_DB_PATH: source }, 'init')).code).toBe(0);
    expect((await cli({ TELECLAUDE_DB_PATH: source }, 'seed', '--sessions', '20')).code).toBe(0);
    const lines: string[] = [];
    const shown: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), tty: true, status: (t: string) => shown.push(t), env: {}, cwd: dir };
    const code = await main(['copy', '--from', source, '--to', join(dir, 'progress-target.db'), '--reject-file', join(dir, 'progress-rejects.jsonl')], io);
    expect(code, lines.join('\n')).toBe(0);
    expect(shown[0]).toMatch(/^copying \w+: [\d,]+ rows \([\d,]+ rows\/s\)$/);
    expect(shown.at(-1)).toBe('');
    expect(lines.join('\n')).not.toContain('\x1b');
  });

  it('a reader that goes away (EPIPE) ends the command quietly, with its usual exit code', async () => {
    const file = join(dir, 'epipe.db');
    expect((await cli({ TELECLAUDE_DB_PATH: file }, 'init')).code).toBe(0);
    const proc = spawn(process.execPath, [...cliArgs(), 'status', '--json'], { env: { PATH: process.env.PATH, HOME: dir, TELECLAUDE_DB_PATH: file }, cwd: dir });
    // Closed before the command has started up, so its first write meets a closed pipe.
    proc.stdout.destroy();
    let err = '';
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((done) => proc.on('close', (c) => done(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });
});

