import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { SqliteTableReader } from '../../src/adapters/sqlite/sqlite-table-reader.js';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/open-store.js';
import type { EngineName } from '../../src/engines/registry.js';
import type { Store } from '../../src/ports/store.js';
import { harnesses } from '../support/harness/index.js';
import { storeFor } from '../support/open-options.js';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-copy-safety-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(cwd: string, env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false, env: { HOME: cwd, ...env }, cwd };
  const code = await main(argv, io);
  return { code, output: lines.join('\n') };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const sideFiles = (path: string) => ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(`${path}${suffix}`));

/**
 * A small file shaped as the older Python daemon leaves it (legacy-teleclaude.md), built
 * by hand: schema_migrations keyed by `version`, sessions keyed by `session_id`, the
 * three timestamp forms, a NULL created_at, an orphan pending deletion, the empty
 * notification_outbox, WAL mode. Closed cleanly, so no -wal is left.
 */
function legacyFile(path: string, options: { keepOpen?: boolean } = {}): Database.Database | null {
  const db = new Database(path);
  // Python's sqlite3 leaves foreign keys off (better-sqlite3 turns them on).
  db.pragma('foreign_keys = OFF');
  db.pragma('journal_mode = WAL');
  if (options.keepOpen) db.pragma('wal_autocheckpoint = 0');
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP);
    INSERT INTO schema_migrations (version, applied_at) VALUES
      ('001_initial_schema', '2026-01-10 09:00:00'), ('012_add_tokens', '2026-02-01 10:00:00'),
      ('012_add_listeners', '2026-02-01 10:00:01'), ('032_mirror_identity', '2026-03-01 08:00:00');
    CREATE TABLE sessions (
      computer_name TEXT NOT NULL, title TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
      last_activity TIMESTAMP, lifecycle_status TEXT DEFAULT 'active', session_id TEXT PRIMARY KEY);
    INSERT INTO sessions VALUES
      ('mac', 'one', '2026-03-15 18:03:10.123456', '2026-03-15T18:03:10.123456+00:00', 'active', 'sess-1'),
      ('mac', 'two', NULL, '2026-03-02T15:26:55.733Z', 'closed', 'sess-2');
    CREATE TABLE pending_message_deletions (
      id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
      message_id TEXT NOT NULL, deletion_type TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
    INSERT INTO pending_message_deletions (session_id, message_id, deletion_type, created_at) VALUES ('sess-deleted', '77', 'user_input', NULL);
    CREATE TABLE notification_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT);
  `);
  if (options.keepOpen) return db;
  db.close();
  return null;
}

/** A database of this package with three sessions; `orphan` adds a pending deletion whose session does not exist. */
async function ourFile(path: string, options: { orphan?: boolean } = {}): Promise<string> {
  const store = new SqliteStore({ path });
  await store.migrator.up();
  for (const title of ['a', 'b', 'c']) await store.repositories.sessions.create({ computerName: 'mac', title });
  await store.close();
  if (options.orphan) {
    const db = new Database(path);
    db.pragma('foreign_keys = OFF');
    db.prepare("INSERT INTO pending_message_deletions (session_id, message_id, deletion_type, created_at) VALUES ('gone', '1', 'user_input', 0)").run();
    db.close();
  }
  return path;
}

/** How each engine lists the tables of the database a connection is on. */
const TABLES_SQL: Record<EngineName, string> = {
  sqlite: "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  postgresql: "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
  mariadb: "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
};

/** Every row of every table, read with raw SQL (outside the package), in a stable order. */
async function dump(engine: EngineName, query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const tables = (await query(TABLES_SQL[engine])).map((r) => String(r.t)).sort();
  for (const table of tables) out[table] = (await query(`SELECT * FROM ${table}`)).map((r) => JSON.stringify(r)).sort();
  return out;
}

/** Raw reads of an SQLite file, opened read-only. */
const sqliteFileQuery = (path: string) => async (sql: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
};

describe('commands that refuse the older daemon\'s file leave it untouched', () => {
  const commands: string[][] = [['status'], ['check'], ['migrate'], ['init'], ['down'], ['reset', '--yes']];

  it.each(commands)('%s refuses it before changing anything: same bytes, same mtime, no -wal/-shm', async (...argv) => {
    const dir = tempDir();
    const file = join(dir, 'teleclaude.db');
    legacyFile(file);
    const when = new Date('2025-06-07T08:09:10.000Z');
    utimesSync(file, when, when);
    const hash = sha(file);
    expect(sideFiles(file)).toEqual([]);

    const result = await run(dir, { TELECLAUDE_DB_ENGINE: 'sqlite', TELECLAUDE_DB_PATH: file }, ...argv);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/older Python TeleClaude daemon.*left unchanged/);
    expect(sha(file)).toBe(hash);
    expect(statSync(file).mtime.toISOString()).toBe(when.toISOString());
    expect(sideFiles(file)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['teleclaude.db']);
  });

  it('also when the daemon died with its schema still in the WAL: main file and -wal unchanged, no -shm created', async () => {
    const live = tempDir();
    const db = legacyFile(join(live, 'teleclaude.db'), { keepOpen: true })!;
    const dir = tempDir();
    const file = join(dir, 'teleclaude.db');
    // The image a killed daemon leaves: the main file and a WAL that holds every commit.
    copyFileSync(join(live, 'teleclaude.db'), file);
    copyFileSync(join(live, 'teleclaude.db-wal'), `${file}-wal`);
    db.close();
    const hashes = [sha(file), sha(`${file}-wal`)];
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);

    for (const argv of commands) {
      const result = await run(dir, { TELECLAUDE_DB_ENGINE: 'sqlite', TELECLAUDE_DB_PATH: file }, ...argv);
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.output).toMatch(/older Python TeleClaude daemon/);
    }
    expect([sha(file), sha(`${file}-wal`)]).toEqual(hashes);
    expect(readdirSync(dir).sort()).toEqual(['teleclaude.db', 'teleclaude.db-wal']);
  });

  it('a database of this package is still opened and migrated as before', async () => {
    const dir = tempDir();
    const file = await ourFile(join(dir, 'ours.db'));
    const result = await run(dir, { TELECLAUDE_DB_ENGINE: 'sqlite', TELECLAUDE_DB_PATH: file }, 'check');
    expect(result.output).toContain('ok       schema matches the applied migrations');
    expect(result.code).toBe(0);
  });
});

describe('the source\'s last write time', () => {
  it('is taken before the file is opened: reading a stopped daemon\'s file does not make it now', async () => {
    const dir = tempDir();
    const file = join(dir, 'teleclaude.db');
    legacyFile(file);
    const when = new Date('2025-01-02T03:04:05.000Z');
    utimesSync(file, when, when);
    const hash = sha(file);

    const first = new SqliteTableReader(file, { snapshot: true });
    expect(await first.count('sessions')).toBe(2);
    // The read-only open in WAL mode created a -wal beside the file.
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect((await first.lastWritten()).toISOString()).toBe(when.toISOString());
    const fingerprint = await first.fingerprint();
    await first.close();

    // A later reader finds that empty -wal (written after the file): it holds no write.
    const second = new SqliteTableReader(file);
    expect((await second.lastWritten()).toISOString()).toBe(when.toISOString());
    expect(await second.fingerprint()).toBe(fingerprint);
    await second.close();
    expect(sha(file)).toBe(hash);
  });
});

describe('copy --resume onto a target that holds rows no interrupted copy wrote', () => {
  async function handFilled(store: Store): Promise<void> {
    await store.migrator.up();
    await store.repositories.sessions.create({ computerName: 'by-hand', title: 'added by hand' });
    await store.repositories.settings.set('hand', 'made');
    await store.close();
  }

  for (const harness of harnesses()) {
    it(`is refused and changes nothing (${harness.name})`, async () => {
      const dir = tempDir();
      const source = await ourFile(join(dir, 'source.db'));
      const database = await harness.createDatabase('tc_copy_safety');
      cleanup.push(() => database.remove());
      const target = database.spec.location;
      await handFilled(storeFor(database.spec));
      const before = await dump(harness.name, (sql) => database.query(sql));
      expect(before.sessions).toHaveLength(1);

      const result = await run(dir, {}, 'copy', '--from', source, '--to', target, '--resume');
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/--resume: .* holds data but no interrupted copy \(.*sessions \(1 rows\).*\); nothing was changed/);
      expect(await dump(harness.name, (sql) => database.query(sql))).toEqual(before);
      expect(existsSync(join(dir, 'teleclaude-copy-rejects.jsonl'))).toBe(false);
    });
  }

  it('is refused when a table the interrupted copy did not finish holds rows, and its own reject file alone is continued', async () => {
    const dir = tempDir();
    const source = await ourFile(join(dir, 'source.db'), { orphan: true });
    const target = join(dir, 'target.db');
    const ownRejects = join(dir, 'own-rejects.jsonl');
    // The state an interrupted copy leaves: its reject file recorded, one table finished and journalled.
    const reader = new SqliteTableReader(source);
    const fingerprint = await reader.fingerprint();
    await reader.close();
    const store = new SqliteStore({ path: target });
    await store.migrator.up();
    await store.bulk.recordRejectFile(ownRejects);
    await store.bulk.load('voice_assignments', ['id', 'service_name', 'voice', 'assigned_at'], [], { journal: true, source: fingerprint });
    await store.repositories.sessions.create({ computerName: 'by-hand', title: 'added by hand' });
    await store.close();
    writeFileSync(ownRejects, '');
    const before = await dump('sqlite', sqliteFileQuery(target));

    const refused = await run(dir, {}, 'copy', '--from', source, '--to', target, '--resume', '--reject-file', ownRejects);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/holds rows the interrupted copy did not write: sessions \(1 rows\)/);
    expect(await dump('sqlite', sqliteFileQuery(target))).toEqual(before);

    const db = new Database(target);
    db.exec('DELETE FROM sessions');
    db.close();
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, 'precious\n');
    const foreign = await run(dir, {}, 'copy', '--from', source, '--to', target, '--resume', '--reject-file', other);
    expect(foreign.code).toBe(1);
    expect(foreign.output).toContain(`the interrupted copy's reject file is ${ownRejects}`);
    expect(readFileSync(other, 'utf8')).toBe('precious\n');

    const resumed = await run(dir, {}, 'copy', '--from', source, '--to', target, '--resume', '--reject-file', ownRejects, '--verify');
    expect(resumed.code, resumed.output).toBe(0);
    expect(readFileSync(ownRejects, 'utf8')).toMatch(/"table":"pending_message_deletions"/);
  });
});

describe('copy --reject-file writes only a new file of its own', () => {
  async function refused(args: string[], victim: string, cwd: string, pattern: RegExp): Promise<void> {
    const hash = sha(victim);
    const target = join(cwd, `target-${Math.random().toString(36).slice(2)}.db`);
    const result = await run(cwd, {}, 'copy', '--to', target, ...args);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(pattern);
    expect(sha(victim)).toBe(hash);
    // Refused before the target was touched: not even its lock file exists.
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.lock`)).toBe(false);
  }

  it('refuses the source itself, also spelled another way or reached through a linked directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    const source = await ourFile(join(dir, 'source.db'), { orphan: true });
    symlinkSync(dir, join(dir, 'linked'));
    for (const spelling of [source, join(dir, 'sub', '..', 'source.db'), join(dir, 'linked', 'source.db'), 'source.db']) {
      await refused(['--from', source, '--reject-file', spelling], source, dir, /that is the source database/);
    }
    await refused(['--from', source, '--reject-file', join(dir, 'sub', '..', 'source.db-wal')], source, dir, /that is a file of the source database/);
  });

  it('refuses an existing file, a symbolic link (also a dangling one, also under the default name) and the target', async () => {
    const dir = tempDir();
    const source = await ourFile(join(dir, 'source.db'), { orphan: true });
    const victim = join(dir, 'notes.txt');
    writeFileSync(victim, 'not to be truncated\n');
    await refused(['--from', source, '--reject-file', victim], victim, dir, /the file exists and a copy never overwrites a file/);

    symlinkSync(victim, join(dir, 'link.jsonl'));
    await refused(['--from', source, '--reject-file', 'link.jsonl'], victim, dir, /symbolic link/);

    symlinkSync(join(dir, 'would-be-created.jsonl'), join(dir, 'dangling.jsonl'));
    await refused(['--from', source, '--reject-file', 'dangling.jsonl'], victim, dir, /symbolic link/);
    expect(existsSync(join(dir, 'would-be-created.jsonl'))).toBe(false);

    symlinkSync(victim, join(dir, 'teleclaude-copy-rejects.jsonl'));
    await refused(['--from', source], victim, dir, /--reject-file .*teleclaude-copy-rejects\.jsonl: .*symbolic link/);

    const target = join(dir, 'existing-target.db');
    await ourFile(target);
    const hash = sha(target);
    const result = await run(dir, {}, 'copy', '--from', source, '--to', join(dir, 'new.db'), '--reject-file', target);
    expect(result.code).toBe(1);
    expect(sha(target)).toBe(hash);
    const intoTarget = await run(dir, {}, 'copy', '--from', source, '--to', join(dir, 'fresh.db'), '--reject-file', join(dir, 'fresh.db'));
    expect(intoTarget.output).toMatch(/that is the target database/);
  });

  it('creates the file with mode 0600 at the first reject, and none when nothing is rejected', async () => {
    const dir = tempDir();
    const clean = await ourFile(join(dir, 'clean.db'));
    const none = await run(dir, {}, 'copy', '--from', clean, '--to', join(dir, 'a.db'));
    expect(none.code, none.output).toBe(0);
    expect(existsSync(join(dir, 'teleclaude-copy-rejects.jsonl'))).toBe(false);

    const dirty = await ourFile(join(dir, 'dirty.db'), { orphan: true });
    const some = await run(dir, {}, 'copy', '--from', dirty, '--to', join(dir, 'b.db'));
    expect(some.code, some.output).toBe(0);
    const rejects = join(dir, 'teleclaude-copy-rejects.jsonl');
    expect(statSync(rejects).mode & 0o777).toBe(0o600);
    expect(readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l).table)).toEqual(['pending_message_deletions']);

    // The same command again: the file is there now, and is not overwritten.
    const hash = sha(rejects);
    const again = await run(dir, {}, 'copy', '--from', dirty, '--to', join(dir, 'c.db'));
    expect(again.code).toBe(1);
    expect(sha(rejects)).toBe(hash);
  });
});

describe('copy --write-config for an SQLite target', () => {
  it('writes a config naming the target file, which openStore opens with the copied sessions', async () => {
    const dir = tempDir();
    const source = await ourFile(join(dir, 'source.db'));
    const target = join(dir, 'moved.db');
    const config = join(dir, 'teleclaude.yml');
    const result = await run(dir, {}, 'copy', '--from', source, '--to', target, '--write-config', 'teleclaude.yml');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`wrote ${config} (mode 0600)`);
    expect(result.output).not.toContain('PGPASSWORD');
    expect(result.output).toContain(`point the config back at it (database.sqlite.path: ${source}`);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const store = await openStore({ configPath: config, env: {}, cwd: dir });
    try {
      expect(store.location).toBe(target);
      expect(await store.repositories.sessions.count()).toBe(3);
    } finally {
      await store.close();
    }
  });
});
