import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InstanceLockedError, UnavailableError, type InstanceLockHolder } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import { describeHolder, type InstanceLock } from '../../ports/instance-lock.js';

/** How long a probe or an acquirer rides over another process briefly reading or writing the lock file. */
const PROBE_MS = 250;

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
 */
export class SqliteInstanceLock implements InstanceLock {
  readonly description: string;
  /** This lock has no fencing token. */
  readonly epoch = null;
  private connection: Database.Database | null = null;
  private readonly controller = new AbortController();

  constructor(
    private readonly databasePath: string,
    private readonly clock: Clock,
    private readonly applicationName = basename(process.argv[1] ?? 'node'),
  ) {
    this.description = databasePath === ':memory:' ? 'an in-memory database (nothing to lock)' : `${databasePath}.lock`;
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
    const db = this.open();
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
      const holder = isBusy(error) ? this.readHolder(db) : undefined;
      db.close();
      if (error instanceof InstanceLockedError) throw error;
      if (isBusy(error)) {
        throw new InstanceLockedError(
          `another process holds the instance lock ${this.description}: ${describeHolder(holder ?? {})}`,
          holder,
        );
      }
      throw new UnavailableError(`cannot take the instance lock ${this.description}: ${(error as Error).message}`, { cause: error });
    }
    this.connection = db;
  }

  async release(): Promise<void> {
    const db = this.connection;
    this.connection = null;
    if (db?.open) db.close();
  }

  onLost(_listener: (reason: Error) => void): () => void {
    // The OS keeps a file lock for as long as the process lives: it is never lost.
    return () => {};
  }

  async holder(): Promise<InstanceLockHolder | null> {
    if (this.databasePath === ':memory:' || !existsSync(this.description)) return null;
    const db = this.open();
    try {
      db.exec('BEGIN EXCLUSIVE');
      db.exec('ROLLBACK');
      return null;
    } catch (error) {
      if (!isBusy(error)) throw new UnavailableError(`cannot probe ${this.description}: ${(error as Error).message}`, { cause: error });
      return this.readHolder(db) ?? {};
    } finally {
      db.close();
    }
  }

  private open(): Database.Database {
    try {
      mkdirSync(dirname(this.databasePath), { recursive: true });
      const db = new Database(this.description);
      db.pragma(`busy_timeout = ${PROBE_MS}`);
      // The protocol needs readers and writers to exclude each other, i.e. no WAL.
      db.pragma('journal_mode = DELETE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, started_at INTEGER NOT NULL, application TEXT NOT NULL, token TEXT NOT NULL)');
      return db;
    } catch (error) {
      if (isBusy(error)) throw new InstanceLockedError(`${this.description} is busy: another process is taking the lock`);
      throw new UnavailableError(`cannot open the instance lock file ${this.description}: ${(error as Error).message}`, { cause: error });
    }
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

function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED'));
}
