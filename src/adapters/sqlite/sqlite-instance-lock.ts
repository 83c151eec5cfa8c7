import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import { InstanceLockedError, UnavailableError, type InstanceLockHolder } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import { describeHolder, type InstanceLock } from '../../ports/instance-lock.js';
import { createPrivateFile, sqliteRealPath } from './sqlite-database.js';

/** How long a probe or an acquirer rides over another process briefly reading or writing the lock file. */
const PROBE_MS = 250;

/**
 * Connections holding a lock, reachable until released: better-sqlite3 closes a collected
 * connection, which would drop the lock of a daemon that kept no reference to its store.
 */
const HELD = new Set<Database.Database>();

interface HolderRow {
  pid: number;
  host: string;
  started_at: number;
  application: string;
  token: string;
}

/**
 * The instance lock of an SQLite database: SQLite's own POSIX locks on a small SQLite
 * file `<database>.lock` (rollback journal mode). The holder keeps a read transaction
 * open, i.e. a SHARED lock, which the OS drops when the process dies. Acquiring means
 * committing one's own holder row, which needs an EXCLUSIVE lock and so fails while
 * anybody holds SHARED; the acquirer then re-reads the row under its own SHARED lock and
 * owns the lock only if the row is still its own (a racer that committed later wins).
 * Because the holder only holds SHARED, others can still read who holds it. SQLite
 * shares these locks between connections of one process, so a second acquirer in the
 * same process is refused too.
 *
 * The lock file is keyed on the database's real path (symlinks resolved), so every path
 * to one file meets the same lock. Anyone who can open a file can hold a POSIX lock on
 * it, so the file is open only to those who may write the database (0600 for a private
 * one) and a user who can merely read cannot keep the daemon from starting. A refusal
 * names the recorded holder only while that process lives; otherwise the process that
 * really holds the file, as the kernel lists it (Linux /proc/locks).
 */
export class SqliteInstanceLock implements InstanceLock {
  /** This lock has no fencing token. */
  readonly epoch = null;
  private connection: Database.Database | null = null;
  private readonly controller = new AbortController();

  constructor(
    private readonly databasePath: string,
    private readonly clock: Clock,
    private readonly applicationName = basename(process.argv[1] ?? 'node'),
  ) {}

  /** `<real path of the database>.lock`, resolved anew each time (the file or a symlink on its path may appear later). */
  get description(): string {
    return this.databasePath === ':memory:' ? 'an in-memory database (nothing to lock)' : `${sqliteRealPath(this.databasePath)}.lock`;
  }

  get held(): boolean {
    return this.connection !== null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async acquire(): Promise<void> {
    if (this.connection) return;
    if (this.databasePath === ':memory:') return;
    const db = this.open(true);
    const me: HolderRow = { pid: process.pid, host: hostname(), started_at: this.clock.now().getTime(), application: this.applicationName, token: randomUUID() };
    try {
      db.exec('BEGIN EXCLUSIVE');
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder (pid, host, started_at, application, token) VALUES (@pid, @host, @started_at, @application, @token)').run(me);
      db.exec('COMMIT');
      db.exec('BEGIN');
      const row = db.prepare('SELECT * FROM holder').get() as HolderRow | undefined;
      if (row?.token !== me.token) {
        throw new InstanceLockedError(`${this.description} is held by ${describeHolder(toHolder(row))}`, toHolder(row));
      }
    } catch (error) {
      const holder = isBusy(error) ? this.liveHolder(db) : undefined;
      db.close();
      if (error instanceof InstanceLockedError) throw error;
      if (isBusy(error)) {
        throw new InstanceLockedError(`another process holds the instance lock ${this.description}: ${holder?.text ?? 'an unknown process'}`, holder?.holder);
      }
      throw new UnavailableError(`cannot take the instance lock ${this.description}: ${(error as Error).message}`, { cause: error });
    }
    this.connection = db;
    HELD.add(db);
  }

  async release(): Promise<void> {
    const db = this.connection;
    this.connection = null;
    if (db) HELD.delete(db);
    if (db?.open) db.close();
  }

  onLost(_listener: (reason: Error) => void): () => void {
    // The OS keeps a file lock for as long as the process lives: it is never lost.
    return () => {};
  }

  async holder(): Promise<InstanceLockHolder | null> {
    if (this.databasePath === ':memory:' || !existsSync(this.description)) return null;
    const db = this.open(false);
    try {
      db.exec('BEGIN EXCLUSIVE');
      db.exec('ROLLBACK');
      return null;
    } catch (error) {
      if (!isBusy(error)) throw new UnavailableError(`cannot probe ${this.description}: ${(error as Error).message}`, { cause: error });
      return this.liveHolder(db)?.holder ?? {};
    } finally {
      db.close();
    }
  }

  /**
   * The lock file's connection. `acquiring`: the file (and its directories) is created
   * with the mode of `lockFileMode`, or an existing one of ours brought to it; a file
   * that belongs to a user who neither runs this process nor owns the database is
   * refused (whoever planted it could hold it forever).
   */
  private open(acquiring: boolean): Database.Database {
    const path = this.description;
    const database = sqliteRealPath(this.databasePath);
    try {
      const mode = lockFileMode(database);
      if (acquiring && !createPrivateFile(path, mode)) {
        const lock = statSync(path);
        const owner = existsSync(database) ? statSync(database) : null;
        if (lock.uid !== process.getuid?.() && lock.uid !== owner?.uid && !sharedForWriting(owner)) {
          throw new UnavailableError(
            `cannot take the instance lock: ${path} belongs to uid ${lock.uid}, who owns neither this process nor the database, and could hold it to keep the daemon from starting; remove that file`,
          );
        }
        if (lock.uid === process.getuid?.() && (lock.mode & 0o777 & ~mode) !== 0) this.replaceExposedLockFile(path, mode);
        else if (lock.uid === process.getuid?.() && (lock.mode & 0o777) !== mode) chmodSync(path, mode);
      }
    } catch (error) {
      if (error instanceof UnavailableError || error instanceof InstanceLockedError) throw error;
      throw new UnavailableError(`cannot create the instance lock file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const db = new Database(path);
      db.pragma(`busy_timeout = ${PROBE_MS}`);
      // The protocol needs readers and writers to exclude each other, i.e. no WAL.
      db.pragma('journal_mode = DELETE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, started_at INTEGER NOT NULL, application TEXT NOT NULL, token TEXT NOT NULL)');
      return db;
    } catch (error) {
      if (isBusy(error)) throw new InstanceLockedError(`${path} is busy: another process is taking the lock`);
      throw new UnavailableError(`cannot open the instance lock file ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * A lock file that others could open (earlier versions made it 0644) may already be
   * open in another user's process, which a chmod would not undo: such a file is
   * replaced by a fresh one (a rename, so every later opener meets the new file), unless
   * a live daemon holds it.
   */
  private replaceExposedLockFile(path: string, mode: number): void {
    const old = new Database(path, { fileMustExist: true });
    try {
      old.pragma(`busy_timeout = ${PROBE_MS}`);
      try {
        old.exec('BEGIN EXCLUSIVE');
      } catch (error) {
        if (!isBusy(error)) throw error;
        const live = this.liveHolder(old);
        if (live?.recorded) throw new InstanceLockedError(`another process holds the instance lock ${path}: ${live.text}`, live.holder);
      }
      const fresh = `${path}.${randomUUID()}.tmp`;
      createPrivateFile(fresh, mode);
      renameSync(fresh, path);
    } finally {
      old.close();
    }
  }

  /**
   * Who really holds the lock file: the recorded holder while its process lives (on this
   * host; another host's cannot be checked), else a process the kernel lists as holding
   * a lock on the file. A dead holder's row is never named.
   */
  private liveHolder(db: Database.Database): { holder: InstanceLockHolder; text: string; recorded: boolean } | undefined {
    const recorded = this.readHolder(db);
    if (recorded?.pid !== undefined && (recorded.host !== hostname() || processAlive(recorded.pid))) {
      return { holder: recorded, text: describeHolder(recorded), recorded: true };
    }
    const pid = lockingProcesses(this.description).find((p) => p !== process.pid);
    if (pid === undefined) return undefined;
    const holder: InstanceLockHolder = { pid, host: hostname() };
    return {
      holder,
      text: `${describeHolder(holder)}, which has not recorded itself as a daemon (another user or tool holding the lock file open)`,
      recorded: false,
    };
  }

  private readHolder(db: Database.Database): InstanceLockHolder | undefined {
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
      const row = db.prepare('SELECT * FROM holder').get() as HolderRow | undefined;
      return row ? toHolder(row) : undefined;
    } catch {
      return undefined;
    }
  }
}

function toHolder(row: HolderRow | undefined): InstanceLockHolder {
  if (!row) return {};
  return { pid: row.pid, host: row.host, startedAt: new Date(row.started_at), applicationName: row.application };
}

/** The lock file is open, read and write, to exactly the classes (owner, group, others) that may write the database; 0600 for a new one. */
function lockFileMode(database: string): number {
  if (!existsSync(database)) return 0o600;
  const writers = statSync(database).mode & 0o222;
  return writers | (writers << 1);
}

/** A database that its group or everybody may write: others may legitimately have created the lock file. */
function sharedForWriting(database: Stats | null): boolean {
  return database !== null && (database.mode & 0o022) !== 0;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes holding a POSIX or OFD lock on `path`, from Linux's /proc/locks (empty elsewhere). */
function lockingProcesses(path: string): number[] {
  let text: string;
  let stat: Stats;
  try {
    text = readFileSync('/proc/locks', 'utf8');
    stat = statSync(path);
  } catch {
    return [];
  }
  // dev_t as glibc splits it; /proc/locks prints major and minor in hex.
  const major = Number((BigInt(stat.dev) >> 8n) & 0xfffn) | Number((BigInt(stat.dev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(stat.dev) & 0xffn) | Number((BigInt(stat.dev) >> 12n) & ~0xffn);
  const key = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${stat.ino}`;
  const pids = new Set<number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === '->') continue; // a waiter, not a holder
    if (fields[5] === key && Number(fields[4]) > 0) pids.add(Number(fields[4]));
  }
  return [...pids];
}

function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED'));
}
