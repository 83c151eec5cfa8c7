import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlitePath } from '../support/databases.js';
import { cliArgs } from '../support/programs.js';

// A title change, a screen clear, a colour, a C1 CSI, a bidi override and a carriage return.
const HOSTILE = 'evil\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b1A\u202e\rname';

let db: ReturnType<typeof createSqlitePath>;
beforeAll(async () => {
  db = createSqlitePath();
  await promisify(execFile)(process.execPath, [...cliArgs(), 'init'], { env: { ...process.env, TELECLAUDE_DB_PATH: db.path } });
  const raw = new Database(db.path);
  raw.exec(`CREATE TABLE "${HOSTILE}" (v INTEGER); INSERT INTO "${HOSTILE}" VALUES (1)`);
  raw.close();
});
afterAll(() => db.remove());

function run(argv: string[], options: { closeStdout?: boolean } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...cliArgs(), ...argv], { env: { ...process.env, TELECLAUDE_DB_PATH: db.path }, cwd: dirname(db.path) });
    let out = '';
    let err = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('what the CLI writes to a terminal', () => {
  it('teleclaude-db status ends quietly when its reader has gone (stdout closed before it writes)', async () => {
    const { code, err } = await run(['status'], { closeStdout: true });
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('teleclaude-db status | head -1 prints one line and no EPIPE stack', async () => {
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `"${process.execPath}" "${cliArgs()[0]}" status | head -1`], {
      env: { ...process.env, TELECLAUDE_DB_PATH: db.path },
    });
    expect(stdout).toBe('engine:   sqlite\n');
    expect(stderr).not.toMatch(/EPIPE|Error/);
  });

  it('a hostile table name is printed escaped, never as raw control characters, by status and copy', async () => {
    const status = await run(['status']);
    const json = await run(['status', '--json']);
    const copy = await run(['copy', '--from', db.path, '--to', join(dirname(db.path), 'target.db'), '--dry-run']);
    for (const { out, err } of [status, json, copy]) {
      // eslint-disable-next-line no-control-regex -- the point of the test
      expect(out + err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    }
    expect(status.out).toContain('evil\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31m\\u009b1A\\u202e\\u000dname');
    expect(copy.out).toContain('evil\\u001b]0;pwned');
    // JSON stays JSON, and the name comes back exactly.
    expect(Object.keys((JSON.parse(json.out) as { rows: Record<string, number> }).rows)).toContain(HOSTILE);
  });
});
