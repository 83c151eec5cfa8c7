import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { exited } from '../../support/open-options.js';
import { programArgs } from '../../support/programs.js';

// Another local user, for real: these tests run commands as `nobody` and so need root.
const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const SECRET = 'whsec-7f3a9c1e55d24b0b';
// Holds a POSIX read lock over the whole file (as SQLite's readers do, and more), or says why it cannot open it.
const READ_LOCKER = `
import fcntl, sys, time
try:
    f = open(sys.argv[1], 'rb')
except OSError as e:
    print('denied', e.strerror, flush=True)
    sys.exit(3)
fcntl.lockf(f, fcntl.LOCK_SH)
print('locked', flush=True)
time.sleep(600)
`;

const children: ChildProcess[] = [];
let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tc-sqlite-security-'));
  // An existing directory other users may enter: only the files' own modes protect them.
  chmodSync(base, 0o755);
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await exited(child);
  }
  rmSync(base, { recursive: true, force: true });
});

/** Starts a daemon process on `path`; resolves with it once it holds the lock and wrote the secret, or with its error. */
async function daemon(
  path: string,
  umask = '022',
  forget = false,
): Promise<{ child: ChildProcess; error?: { code: string; message: string; holder?: { pid?: number } } }> {
  const args = forget ? ['--expose-gc', ...programArgs('test/support/private-daemon.ts'), path, umask, SECRET, 'forget'] : [...programArgs('test/support/private-daemon.ts'), path, umask, SECRET];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const line = await firstLine(child);
  if (line === 'ready') return { child };
  return { child, error: JSON.parse(line) };
}

/** A process that tries to hold a read lock on `file`; resolves with its first line ("locked" or "denied ..."). */
async function readLocker(file: string, asNobody: boolean): Promise<{ child: ChildProcess; said: string }> {
  const argv = [...(asNobody ? AS_NOBODY : []), '/usr/bin/python3', '-c', READ_LOCKER, file];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return { child, said: await firstLine(child) };
}

function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => setTimeout(() => reject(new Error(`exited with ${code} before a line: ${out} ${err}`)), 50));
  });
}

function nobodyReads(file: string): { ok: boolean; stderr: string } {
  const result = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'cat', file], { encoding: 'utf8' });
  return { ok: result.status === 0 && result.stdout.length > 0, stderr: result.stderr };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('files of an SQLite database, against another local user', () => {
  it('a new database, its -wal, -shm and .lock are 0600 and new directories 0700 even under umask 000; nobody reads none of them', async () => {
    const path = join(base, 'made', 'for', 'it', 'teleclaude.db');
    const { error } = await daemon(path, '000');
    expect(error).toBeUndefined();
    for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}.lock`]) expect(mode(file), file).toBe(0o600);
    for (const dir of [join(base, 'made'), join(base, 'made', 'for'), join(base, 'made', 'for', 'it')]) expect(mode(dir), dir).toBe(0o700);
    // The secret is there to be stolen (in the WAL, not yet checkpointed)...
    expect(readFileSync(`${path}-wal`).includes(SECRET)).toBe(true);
    // ...and nobody can reach a readable file in the same place, so only the modes stop them.
    const control = join(base, 'control.txt');
    writeFileSync(control, SECRET, { mode: 0o644 });
    expect(nobodyReads(control).ok).toBe(true);
    expect(nobodyReads(join(base, 'made', 'for', 'it')).stderr).toMatch(/Permission denied/);

    const flat = join(base, 'teleclaude.db');
    expect((await daemon(flat, '000')).error).toBeUndefined();
    for (const file of [flat, `${flat}-wal`, `${flat}-shm`, `${flat}.lock`]) {
      expect(mode(file), file).toBe(0o600);
      const read = nobodyReads(file);
      expect(read.ok, file).toBe(false);
      expect(read.stderr, file).toMatch(/Permission denied/);
    }
  });

  it('nobody cannot keep the daemon from starting: the lock file of a new database cannot be opened by them', async () => {
    const path = join(base, 'teleclaude.db');
    const first = await daemon(path);
    expect(first.error).toBeUndefined();
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect((await readLocker(`${path}.lock`, true)).said).toMatch(/^denied Permission denied/);
    expect((await daemon(path)).error).toBeUndefined();
  });

  it('a world-readable lock file of an earlier version, read-locked by nobody, does not stop the daemon, and the lock still excludes a second daemon', async () => {
    const path = join(base, 'teleclaude.db');
    // What an earlier version left: database and lock file 0644.
    new Database(path).close();
    new Database(`${path}.lock`).close();
    chmodSync(path, 0o644);
    chmodSync(`${path}.lock`, 0o644);
    const locker = await readLocker(`${path}.lock`, true);
    expect(locker.said).toBe('locked');

    const first = await daemon(path);
    expect(first.error).toBeUndefined();
    expect(mode(`${path}.lock`)).toBe(0o600);
    expect(mode(path)).toBe(0o644); // an existing database's mode is left alone
    const second = await daemon(path);
    expect(second.error).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: first.child.pid } });
    // nobody reads the database they were given read access to, but still cannot touch the lock.
    expect((await readLocker(`${path}.lock`, true)).said).toMatch(/^denied/);
  });

  it('a refusal names the process that really holds the lock file, never a dead previous holder', async () => {
    const path = join(base, 'teleclaude.db');
    const dead = await daemon(path);
    expect(dead.error).toBeUndefined();
    dead.child.kill('SIGKILL');
    await exited(dead.child);
    const tool = await readLocker(`${path}.lock`, false);
    expect(tool.said).toBe('locked');

    const refused = await daemon(path);
    expect(refused.error?.code).toBe('TC_INSTANCE_LOCKED');
    expect(refused.error?.holder?.pid).toBe(tool.child.pid);
    expect(refused.error?.message).toContain(`pid ${tool.child.pid}`);
    expect(refused.error?.message).not.toContain(`pid ${dead.child.pid}`);

    tool.child.kill('SIGKILL');
    await exited(tool.child);
    expect((await daemon(path)).error).toBeUndefined();
  });

  it('the lock lasts as long as the process, even when the daemon keeps no reference to its store (garbage collected)', async () => {
    const path = join(base, 'teleclaude.db');
    const first = await daemon(path, '022', true);
    expect(first.error).toBeUndefined();
    expect((await daemon(path)).error).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: first.child.pid } });
  });

  it('check warns when an existing database is readable by others, and leaves its mode alone', async () => {
    const path = join(base, 'teleclaude.db');
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), tty: false, env: { TELECLAUDE_DB_PATH: path }, cwd: base };
    expect(await main(['init'], io)).toBe(0);
    expect(mode(path)).toBe(0o600);
    lines.length = 0;
    expect(await main(['check'], io)).toBe(0);
    expect(lines.join('\n')).not.toMatch(/WARNING/);
    chmodSync(path, 0o644);
    lines.length = 0;
    expect(await main(['check'], io)).toBe(0);
    expect(lines.join('\n')).toMatch(new RegExp(`WARNING +${path} is accessible to other users \\(mode 0644\\)`));
    expect(mode(path)).toBe(0o644);
  });
});

describe('the instance lock is keyed on the real path of the database', () => {
  let real: string;
  beforeEach(() => {
    real = join(base, 'real');
    mkdirSync(real);
    symlinkSync(real, join(base, 'linked-dir'));
  });

  it('two daemons reaching one file through a symlinked directory or a symlinked file cannot both hold it', async () => {
    const path = join(real, 'teleclaude.db');
    const first = await daemon(path);
    expect(first.error).toBeUndefined();
    symlinkSync(path, join(base, 'linked-file.db'));
    for (const other of [join(base, 'linked-dir', 'teleclaude.db'), join(base, 'linked-file.db')]) {
      const second = await daemon(other);
      expect(second.error, other).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: first.child.pid } });
    }
    expect(existsSync(join(base, 'linked-file.db.lock'))).toBe(false);
  });

  it('also when the first daemon creates the file through the symlink', async () => {
    const first = await daemon(join(base, 'linked-dir', 'new.db'));
    expect(first.error).toBeUndefined();
    expect(existsSync(join(real, 'new.db.lock'))).toBe(true);
    const second = await daemon(join(real, 'new.db'));
    expect(second.error).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: first.child.pid } });
  });

  it('a dangling symlink is followed: the database is created (0600) where it points, and locked there', async () => {
    symlinkSync(join(real, 'target.db'), join(base, 'dangling.db'));
    const first = await daemon(join(base, 'dangling.db'));
    expect(first.error).toBeUndefined();
    expect(mode(join(real, 'target.db'))).toBe(0o600);
    const second = await daemon(join(real, 'target.db'));
    expect(second.error).toMatchObject({ code: 'TC_INSTANCE_LOCKED', holder: { pid: first.child.pid } });
  });
});
