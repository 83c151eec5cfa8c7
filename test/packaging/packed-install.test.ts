import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../support/databases.js';

/**
 * The package as a consumer gets it: `npm pack` of this checkout, installed into a fresh
 * project that has only one of the two drivers (both are optional peer dependencies).
 * `pg` comes from the registry (through npm's cache). better-sqlite3 is a native addon
 * that compiles for ~2 minutes where no prebuilt binary can be downloaded (as here), so the
 * SQLite project installs the checkout's own already-built copy of the same version from its
 * folder (linked, its install script not run again); the package under test is always the
 * packed tarball.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

interface Result {
  code: number;
  out: string;
  err: string;
}

async function exec(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  // Nothing of this checkout's environment decides the engine: only what each call sets.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|PG[A-Z]+|TELECLAUDE_\w+|npm_\w+)$/.test(k)),
  );
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: { ...clean, ...env }, maxBuffer: 16 << 20 });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

async function npm(args: string[], cwd: string): Promise<void> {
  const r = await exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.code}): ${r.err}`);
}

/** A new ESM project in `dir` with `deps` installed from their specs. */
async function project(dir: string, deps: string[], flags: string[] = []): Promise<string> {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  await npm(['install', ...flags, ...deps], dir);
  return dir;
}

describe('the packed tarball installed into a fresh project', () => {
  let work: string;
  let tarball: string;
  let pgOnly: string;
  let sqliteOnly: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tc-packaging-'));
    await npm(['pack', '--pack-destination', work], ROOT);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    pgOnly = await project(join(work, 'pg-only'), [tarball, 'pg']);
    // A folder is installed as a link, and npm would run the linked driver's install script
    // (a 2-minute rebuild inside this checkout): the copy there is built already. Neither
    // the tarball nor its dependencies have install scripts of their own.
    sqliteOnly = await project(join(work, 'sqlite-only'), [tarball, join(ROOT, 'node_modules', 'better-sqlite3')], ['--ignore-scripts']);
  }, 400_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const bin = (dir: string) => join(dir, 'node_modules', '.bin', 'teleclaude-db');

  it('ships only the compiled code, and neither driver nor tsx comes with it', () => {
    const installed = join(pgOnly, 'node_modules', 'teleclaude-persistence');
    expect(existsSync(join(installed, 'dist', 'src', 'cli', 'run.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(pgOnly, 'node_modules', 'pg'))).toBe(true);
    expect(existsSync(join(pgOnly, 'node_modules', 'better-sqlite3'))).toBe(false);
    expect(existsSync(join(pgOnly, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(sqliteOnly, 'node_modules', 'better-sqlite3'))).toBe(true);
    expect(existsSync(join(sqliteOnly, 'node_modules', 'pg'))).toBe(false);
    expect(existsSync(join(sqliteOnly, 'node_modules', 'tsx'))).toBe(false);
  });

  it('with only pg: init and status --json on PostgreSQL', async () => {
    const db = await createPgDatabase('tc_packaging');
    try {
      const init = await exec(bin(pgOnly), ['init'], pgOnly, { DATABASE_URL: db.url });
      expect(init.err).toBe('');
      expect(init.code).toBe(0);
      expect(init.out).toMatch(/^initialised postgresql database .*applied 001_foundation/);
      const status = await exec(bin(pgOnly), ['status', '--json'], pgOnly, { DATABASE_URL: db.url });
      expect(status.code).toBe(0);
      const report = JSON.parse(status.out) as { engine: string; applied: { name: string }[]; pending: string[] };
      expect(report.engine).toBe('postgresql');
      expect(report.applied.map((m) => m.name)).toContain('001_foundation');
      expect(report.pending).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('with only better-sqlite3: init and status --json on SQLite', async () => {
    const path = join(work, 'teleclaude.db');
    const init = await exec(bin(sqliteOnly), ['init'], sqliteOnly, { TELECLAUDE_DB_PATH: path });
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    expect(init.out).toMatch(/^initialised sqlite database .*applied 001_foundation/);
    const status = await exec(bin(sqliteOnly), ['status', '--json'], sqliteOnly, { TELECLAUDE_DB_PATH: path });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.out) as { engine: string; location: string; applied: { name: string }[]; pending: string[] };
    expect(report.engine).toBe('sqlite');
    expect(report.location).toBe(path);
    expect(report.applied.map((m) => m.name)).toContain('001_foundation');
    expect(report.pending).toEqual([]);

    // The compiled store checkpoints its WAL from its worker thread (which resolves the
    // installed driver): 400 pages written in one transaction, fewer than SQLite's own
    // checkpoint waits for, reach the database file.
    writeFileSync(
      join(sqliteOnly, 'checkpoint.mjs'),
      `import { statSync } from 'node:fs';
import { openStore } from 'teleclaude-persistence';
const store = await openStore({ env: { TELECLAUDE_DB_PATH: ${JSON.stringify(path)} }, instanceLock: false });
const before = statSync(${JSON.stringify(path)}).size;
await store.transaction(async (tx) => {
  for (let i = 0; i < 200; i++) await tx.settings.set('key-' + i, 'x'.repeat(8192));
});
const deadline = Date.now() + 5000;
while (statSync(${JSON.stringify(path)}).size < before + 1600000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
console.log(JSON.stringify({ grew: statSync(${JSON.stringify(path)}).size - before }));
await store.close();`,
    );
    const checkpoint = await exec(process.execPath, ['checkpoint.mjs'], sqliteOnly);
    expect(checkpoint.err).toBe('');
    expect((JSON.parse(checkpoint.out) as { grew: number }).grew).toBeGreaterThanOrEqual(1_600_000);
  });

  it('the missing driver is a TC_CONFIG error naming the install command, on the command line and in code', async () => {
    const noSqlite = await exec(bin(pgOnly), ['init'], pgOnly, { TELECLAUDE_DB_PATH: join(work, 'never.db') });
    expect(noSqlite.code).toBe(1);
    expect(noSqlite.err).toContain('npm install better-sqlite3');
    expect(noSqlite.err).toContain('[TC_CONFIG]');
    expect(existsSync(join(work, 'never.db'))).toBe(false);

    const noPg = await exec(bin(sqliteOnly), ['status'], sqliteOnly, { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres' });
    expect(noPg.code).toBe(1);
    expect(noPg.err).toContain('npm install pg');
    expect(noPg.err).toContain('[TC_CONFIG]');

    // The library itself: importing it works without the driver; opening that engine throws ConfigError.
    writeFileSync(
      join(sqliteOnly, 'open.mjs'),
      `import { openStore, ConfigError } from 'teleclaude-persistence';
try {
  await openStore({ env: { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres' } });
  console.log('opened');
} catch (error) {
  console.log(JSON.stringify({ isConfigError: error instanceof ConfigError, code: error.code, message: error.message }));
}`,
    );
    const lib = await exec(process.execPath, ['open.mjs'], sqliteOnly);
    expect(lib.err).toBe('');
    const thrown = JSON.parse(lib.out) as { isConfigError: boolean; code: string; message: string };
    expect(thrown).toMatchObject({ isConfigError: true, code: 'TC_CONFIG' });
    expect(thrown.message).toContain('npm install pg');
  });
});
