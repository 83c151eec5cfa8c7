import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { COPY_JOURNAL_TABLE } from '../../src/ports/bulk-loader.js';
import { buildLegacyDatabase, seedEveryTable } from '../support/copy-fixtures.js';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';

const root = join(import.meta.dirname, '..', '..');
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function copy(...args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false, env: {}, cwd: '/tmp' };
  const code = await main(['copy', ...args], io);
  return { code, output: lines.join('\n') };
}

/** Runs `teleclaude-db copy` in a child process; with `killAfterMs`, SIGKILLs it then. Resolves with the elapsed time. */
function child(args: string[], killAfterMs?: number): Promise<{ ms: number; killed: boolean }> {
  const started = Date.now();
  const proc = spawn(process.execPath, [join(root, 'bin', 'teleclaude-db.mjs'), 'copy', ...args], { cwd: root, stdio: 'ignore' });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
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
  let fullRunMs: number;

  beforeAll(async () => {
    source = sqlitePath();
    const store = new SqliteStore({ path: source });
    await store.migrator.up();
    await seedEveryTable(store, (table) => (table === 'sessions' ? 12_000 : 6_000));
    await store.close();
    fullRunMs = (await child(['--from', source, '--to', await pgUrl(), '--batch-size', '200'])).ms;
  });

  it('SIGKILL at several random points, then --resume, then --verify passes and no journal is left', async () => {
    const kills = [0.3, 0.5, 0.7, 0.85, 0.95].map((f) => Math.round(fullRunMs * (f + (Math.random() - 0.5) * 0.1)));
    let interrupted = 0;
    for (const at of kills) {
      const target = await pgUrl();
      const run = await child(['--from', source, '--to', target, '--batch-size', '200'], at);
      if (run.killed) interrupted++;
      const refused = await copy('--from', source, '--to', target);
      if (run.killed && refused.code !== 0) expect(refused.output, `kill at ${at} ms`).toMatch(/--resume/);
      const resumed = await copy('--from', source, '--to', target, '--resume', '--verify');
      expect(resumed.code, `kill at ${at} ms:\n${resumed.output}`).toBe(0);
      expect(resumed.output).toContain('verify: every table has the same rows and checksum');
      expect(resumed.output).not.toContain(COPY_JOURNAL_TABLE);
    }
    expect(interrupted).toBeGreaterThanOrEqual(3);
  });

  it('a resumed legacy import leaves the same reject file as an uninterrupted one', async () => {
    const scratch = new SqliteStore({ path: sqlitePath() });
    await scratch.migrator.up();
    const schema = await scratch.inspector.schema();
    await scratch.close();
    const legacy = `${sqlitePath()}.legacy.db`;
    cleanup.push(() => import('node:fs').then((fs) => fs.rmSync(legacy, { force: true })));
    buildLegacyDatabase(legacy, schema, 8_000);

    const straight = sqlitePath();
    const straightRejects = `${straight}.rejects`;
    expect((await copy('--from', legacy, '--to', straight, '--reject-file', straightRejects)).code).toBe(0);

    const measured = (await child(['--from', legacy, '--to', sqlitePath(), '--reject-file', `${legacy}.probe`])).ms;
    const target = sqlitePath();
    const rejects = `${target}.rejects`;
    await child(['--from', legacy, '--to', target, '--reject-file', rejects, '--batch-size', '100'], Math.round(measured * 0.7));
    const resumed = await copy('--from', legacy, '--to', target, '--reject-file', rejects, '--resume', '--verify');
    expect(resumed.code, resumed.output).toBe(0);
    const sorted = (path: string) => readFileSync(path, 'utf8').trim().split('\n').sort();
    expect(sorted(rejects)).toEqual(sorted(straightRejects));
  });
});
