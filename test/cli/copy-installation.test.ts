import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { lockHolder } from '../../src/cli/commands/copy-installation.js';
import { openStore } from '../../src/open-store.js';
import { createPgDatabase } from '../support/databases.js';
import { cliArgs } from '../support/programs.js';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-copy-find-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A working directory and a HOME of its own, so nothing of the machine's is found. */
function place(): { cwd: string; home: string } {
  const root = tempDir();
  const cwd = join(root, 'checkout');
  const home = join(root, 'home');
  mkdirSync(cwd);
  mkdirSync(home);
  return { cwd, home };
}

/** `teleclaude-db ARGS` as a child process in `cwd`, with HOME set and no database settings from this environment. */
function cli(where: { cwd: string; home: string }, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(PG|DATABASE_URL|TELECLAUDE_)/.test(k)),
  );
  const proc = spawn(process.execPath, [...cliArgs(), ...args], { cwd: where.cwd, env: { ...clean, HOME: where.home, ...env } });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A database of this package with `n` sessions. */
async function installation(path: string, n = 3): Promise<string> {
  const store = new SqliteStore({ path });
  await store.migrator.up();
  for (let i = 0; i < n; i++) await store.repositories.sessions.create({ computerName: 'mac', title: `session ${i}` });
  await store.close();
  return path;
}

/**
 * A minimal file as the older Python daemon writes it (legacy-teleclaude.md):
 * schema_migrations keyed by `version`, sessions keyed by `session_id`, WAL mode,
 * foreign keys off (Python's default). Closed cleanly: no -wal is left.
 */
function legacyInstallation(path: string): string {
  const db = new Database(path);
  db.pragma('foreign_keys = OFF');
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP);
    INSERT INTO schema_migrations (version, applied_at) VALUES ('001_initial_schema', '2026-01-10 09:00:00'), ('032_mirror_identity', '2026-03-01T08:00:00.000000+00:00');
    CREATE TABLE sessions (computer_name TEXT NOT NULL, title TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, session_id TEXT PRIMARY KEY);
    INSERT INTO sessions VALUES ('mac', 'one', '2026-03-15 18:03:10.123456', 'sess-1');
  `);
  db.close();
  return path;
}

/**
 * The older daemon's way of saying it runs: `teleclaude.pid` opened a+, an exclusive
 * non-blocking flock on it, its pid written in it. `tool` picks the holder: python3 (as
 * the daemon) or util-linux flock. Resolves once the lock is held.
 */
function holdPidFile(pidFile: string, tool: 'python3' | 'flock'): Promise<ChildProcess & { stop: () => Promise<void> }> {
  // Detached: a process group of its own, killed whole when the holder stops.
  const proc =
    tool === 'python3'
      ? spawn('python3', [
          '-c',
          'import fcntl,os,sys,time\nf=open(sys.argv[1],"a+")\nfcntl.flock(f.fileno(),fcntl.LOCK_EX|fcntl.LOCK_NB)\nf.seek(0)\nf.truncate()\nf.write(str(os.getpid()))\nf.flush()\nprint("locked",flush=True)\ntime.sleep(120)',
          pidFile,
        ], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
      : // --no-fork: flock execs the command itself, so the one process that exits is the one
        // holding the lock (a forked child would keep it a moment after flock's own exit).
        spawn('flock', ['--no-fork', '--exclusive', '--nonblock', pidFile, 'sh', '-c', 'echo locked; exec sleep 120'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let exited = false;
  const gone = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const stop = async () => {
    if (!exited) process.kill(-proc.pid!, 'SIGKILL');
    exited = true;
    await gone;
  };
  cleanup.push(() => stop().catch(() => {}));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      exited = true;
      reject(new Error(`the lock holder exited with ${code}`));
    });
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve(Object.assign(proc, { stop }));
    });
  });
}

async function pgDatabase(): Promise<{ url: string; tables: () => Promise<number> }> {
  const db = await createPgDatabase('tc_copy_find');
  cleanup.push(db.drop);
  return {
    url: db.url,
    async tables() {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return Number((await client.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n);
      } finally {
        await client.end();
      }
    },
  };
}

describe('copy --to TARGET without --from finds the installation', () => {
  it('finds ./teleclaude.db, copies it into PostgreSQL, opens the target as the daemon does and says how to go back', async () => {
    const where = place();
    const source = await installation(join(where.cwd, 'teleclaude.db'), 4);
    const hash = sha(source);
    const target = await pgDatabase();
    const result = await cli(where, ['copy', '--to', target.url, '--verify']);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`source: ${source} (in the working directory; the only installation found)`);
    expect(result.out).toContain('verify: every table has the same rows and checksum');
    expect(result.out).toMatch(/opened postgresql:\/\/.* as the daemon does \(openStore: instance lock taken and released, migrations current\): 4 session\(s\), 4 open session\(s\) listed/);
    expect(result.out).toContain(`rollback: ${source} was only read and is unchanged`);
    expect(sha(source)).toBe(hash);
  });

  it('lists at most 100 open sessions when it opens the target, whatever the installation holds (its memory does not grow with the data)', async () => {
    const where = place();
    await installation(join(where.cwd, 'teleclaude.db'), 101);
    const result = await cli(where, ['copy', '--to', join(where.home, 'copied.db')]);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/as the daemon does \(openStore: instance lock taken and released, migrations current\): 101 session\(s\), the 100 open sessions of newest activity listed/);
  });

  it('finds the older daemon\'s file for an SQLite or PostgreSQL target, and refuses while a process holds the flock on teleclaude.pid beside it', async () => {
    const where = place();
    const source = legacyInstallation(join(where.cwd, 'teleclaude.db'));
    const hash = sha(source);
    const pidFile = join(where.cwd, 'teleclaude.pid');
    const holder = await holdPidFile(pidFile, 'python3');
    const target = join(where.home, 'copied.db');

    const refused = await cli(where, ['copy', '--to', target]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`source: ${source} (in the working directory`);
    expect(refused.out).toContain(`the TeleClaude daemon is running (pid ${holder.pid} holds the lock on ${pidFile}); stop it before copying its database`);
    expect(existsSync(target)).toBe(false);

    const pg = await pgDatabase();
    const refusedPg = await cli(where, ['copy', '--to', pg.url]);
    expect(refusedPg.code).toBe(1);
    expect(refusedPg.out).toContain('the TeleClaude daemon is running');
    expect(await pg.tables()).toBe(0);

    // With --from as well.
    expect((await cli(where, ['copy', '--from', source, '--to', target])).out).toContain('the TeleClaude daemon is running');

    // The daemon stops (a killed one leaves its pid file behind, without a lock): the copy goes ahead.
    await holder.stop();
    expect(existsSync(pidFile)).toBe(true);
    const copied = await cli(where, ['copy', '--to', target]);
    expect(copied.out).toContain(`source: ${source} (in the working directory`);
    expect(copied.out).not.toContain('daemon is running');
    expect(copied.out).toContain('(older TeleClaude daemon)');
    expect(sha(source)).toBe(hash);
  });

  it('refuses when it finds none, or more than one (listing them), and --from picks one', async () => {
    const where = place();
    const target = join(where.home, 'target.db');
    const none = await cli(where, ['copy', '--to', target]);
    expect(none.code).toBe(1);
    expect(none.out).toContain(`found no installation to copy: looked at ${join(where.cwd, 'teleclaude.db')} (in the working directory), ${join(where.home, '.teleclaude', 'teleclaude.db')}`);
    expect(none.out).toContain('name it with --from SOURCE');

    const here = await installation(join(where.cwd, 'teleclaude.db'));
    mkdirSync(join(where.home, '.teleclaude'));
    const there = await installation(join(where.home, '.teleclaude', 'teleclaude.db'));
    const two = await cli(where, ['copy', '--to', target]);
    expect(two.code).toBe(1);
    expect(two.out).toContain(`found 2 installations: ${here} (in the working directory), ${there} (at this package's default location); choose one with --from SOURCE`);
    expect(existsSync(target)).toBe(false);

    // The config names one explicitly: it is a candidate too, listed first.
    const named = await installation(join(where.home, 'named.db'));
    writeFileSync(join(where.cwd, 'teleclaude.yml'), `database:\n  sqlite:\n    path: ${named}\n`);
    const three = await cli(where, ['copy', '--to', target]);
    expect(three.out).toContain(`found 3 installations: ${named} (named by database.sqlite.path in ${join(where.cwd, 'teleclaude.yml')}), ${here}`);

    const picked = await cli(where, ['copy', '--from', there, '--to', target]);
    expect(picked.code, picked.out).toBe(0);
  });
});

describe('copy --write-config', () => {
  it('writes a new teleclaude.yml (0600) that points at the target, without the password, and the daemon opens it', async () => {
    const where = place();
    await installation(join(where.cwd, 'teleclaude.db'), 2);
    const target = await pgDatabase();
    const withPassword = new URL(target.url);
    withPassword.password = 'sup3r-s3cret';
    const config = join(where.home, 'teleclaude.yml');
    const result = await cli(where, ['copy', '--to', withPassword.toString(), '--write-config', config]);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain(`wrote ${config} (mode 0600)`);
    expect(result.out).toContain('the password is not in the file: give the daemon PGPASSWORD in its environment');
    expect(result.out).toMatch(new RegExp(`as the daemon does \\(.*config ${config}\\): 2 session\\(s\\)`));
    expect(result.out).not.toContain('sup3r-s3cret');
    const text = readFileSync(config, 'utf8');
    expect(text).not.toContain('sup3r-s3cret');
    expect(text).toContain('engine: postgresql');
    expect(text).toContain('PGPASSWORD');
    expect(statSync(config).mode & 0o777).toBe(0o600);

    // The daemon's own way in, with that file alone.
    const store = await openStore({ configPath: config, env: {}, cwd: where.cwd });
    try {
      expect(await store.repositories.sessions.count()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('refuses an existing file before copying anything, and leaves it as it was', async () => {
    const where = place();
    await installation(join(where.cwd, 'teleclaude.db'));
    const target = await pgDatabase();
    const config = join(where.home, 'teleclaude.yml');
    writeFileSync(config, 'database:\n  engine: sqlite\n');
    const hash = sha(config);
    const result = await cli(where, ['copy', '--to', target.url, '--write-config', config]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`--write-config ${config}: the file exists and is never overwritten`);
    expect(sha(config)).toBe(hash);
    expect(await target.tables()).toBe(0);
  });
});

describe('lockHolder (the older daemon\'s flock on teleclaude.pid)', () => {
  for (const tool of ['python3', 'flock'] as const) {
    it(`sees a ${tool} process holding it, through /proc/locks and through the flock fallback, and nobody once it is gone`, async () => {
      const dir = tempDir();
      const pidFile = join(dir, 'teleclaude.pid');
      expect(lockHolder(pidFile)).toBeNull();
      const holder = await holdPidFile(pidFile, tool);
      const before = sha(pidFile);
      expect(lockHolder(pidFile)).toEqual({ pid: holder.pid });
      // Without /proc/locks: a shared non-blocking flock is tried (util-linux flock) and fails.
      expect(lockHolder(pidFile, { procLocks: join(dir, 'no-proc-locks') })).not.toBeNull();
      expect(sha(pidFile)).toBe(before);
      await holder.stop();
      expect(lockHolder(pidFile)).toBeNull();
      expect(lockHolder(pidFile, { procLocks: join(dir, 'no-proc-locks') })).toBeNull();
    });
  }

  it('without /proc/locks and without util-linux flock, python3 tells (a child process whose PATH holds only python3)', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'teleclaude.pid');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/usr/bin/python3', join(bin, 'python3'));
    const probe = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const code = `import { lockHolder } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'cli', 'commands', 'copy-installation.ts'))};
          try { console.log(JSON.stringify(lockHolder(process.argv[1], { procLocks: process.argv[2] }))); } catch (e) { console.log('ERROR ' + e.message); }`;
        const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, pidFile, join(dir, 'no-proc-locks')], {
          env: { PATH: bin, HOME: dir },
          cwd: join(import.meta.dirname, '..', '..'),
        });
        let out = '';
        proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
        proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
        proc.on('error', reject);
        proc.on('close', () => resolve(out.trim()));
      });
    writeFileSync(pidFile, '4242');
    expect(await probe()).toBe('null');
    const holder = await holdPidFile(pidFile, 'flock');
    // The pid comes from the file, as the daemon wrote it (flock(1) leaves it as it was).
    expect(await probe()).toBe('{"pid":4242}');
    await holder.stop();
    expect(await probe()).toBe('null');
    // With neither tool, it says so instead of guessing.
    rmSync(join(bin, 'python3'));
    expect(await probe()).toMatch(/^ERROR cannot tell whether a process holds a lock on .*no \/proc\/locks, util-linux flock or python3/);
  });

  it('when /proc/locks lists the inode under another device number (as btrfs subvolumes do), a real flock try decides', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'teleclaude.pid');
    writeFileSync(pidFile, '31337');
    const fake = join(dir, 'locks');
    writeFileSync(fake, `1: FLOCK  ADVISORY  WRITE 999999 00:99:${statSync(pidFile).ino} 0 EOF\n`);
    expect(lockHolder(pidFile, { procLocks: fake })).toBeNull();
    const holder = await holdPidFile(pidFile, 'flock');
    expect(lockHolder(pidFile, { procLocks: fake })).toEqual({ pid: 31337 });
    await holder.stop();
  });

  it('a lock on another file with the same name elsewhere does not count', async () => {
    const a = join(tempDir(), 'teleclaude.pid');
    const b = join(tempDir(), 'teleclaude.pid');
    writeFileSync(b, '');
    await holdPidFile(a, 'flock');
    expect(lockHolder(b)).toBeNull();
    expect(lockHolder(a)).not.toBeNull();
  });
});
