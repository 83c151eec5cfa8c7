import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, closeSync, constants, existsSync, fchmodSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, ForeignKeyError, UnavailableError, ValidationError } from '../../domain/errors.js';
import type { QueryObserver } from '../../observability.js';
import { observedStatement } from './sqlite-observed-statement.js';
import { SQLITE_DEFAULTS } from './sqlite-engine.js';

export type SqliteDb = Database.Database;

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/**
 * Runs synchronous better-sqlite3 work on the one connection. Repositories hold an
 * executor; outside a transaction it waits for any open transaction to finish, inside
 * one it runs directly.
 */
export interface SqliteExecutor {
  run<T>(work: (db: SqliteDb) => T): Promise<T>;
  /**
   * `work` as one IMMEDIATE transaction (a savepoint inside `store.transaction`): the write
   * lock is taken before anything is read, and a throw rolls all of `work` back.
   */
  immediate<T>(work: () => T): Promise<T>;
  /**
   * The statement of `sql`, prepared once per connection, returning rows as objects. The
   * cache is keyed by the text, so pass a constant string (a module-level `const`), not
   * one built per call: a constant's hash is computed once.
   */
  prepare(sql: string): Database.Statement;
  /** As `prepare`, returning rows as arrays in column order (`.raw(true)`): no object per row for a codec's `fromArray` to read. */
  prepareRaw(sql: string): Database.Statement;
  /** Set when the store is observed: its statements report to it. */
  readonly observer?: QueryObserver;
}

/** Files and directories this package creates: readable by their owner only (the database holds bearer tokens and webhook secrets). */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/**
 * The real path of a database file: symlinks of the file and of every directory above it
 * resolved, also when the file (or a directory on the way) does not exist yet, so two
 * paths that reach the same file give the same answer.
 */
export function sqliteRealPath(path: string, depth = 0): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    // Missing: a dangling symlink points where the file will be created; otherwise the
    // real parent directory plus the name.
  }
  if (depth < 40 && isSymlink(absolute)) return sqliteRealPath(resolve(dirname(absolute), readlinkSync(absolute)), depth + 1);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(sqliteRealPath(parent, depth + 1), basename(absolute));
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Creates the missing directories of `dir`, each 0700 whatever the umask; existing ones are left alone. */
export function makePrivateDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  if (missing.length === 0) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  for (const d of missing) chmodSync(d, PRIVATE_DIRECTORY_MODE);
}

/**
 * Creates `path` empty with `mode` (whatever the umask) unless it exists; an existing
 * file's mode is left alone. Returns whether it created the file. SQLite takes an empty
 * file as an empty database, and creates its -wal, -shm and -journal with the database
 * file's mode, so they are private too.
 */
export function createPrivateFile(path: string, mode = PRIVATE_FILE_MODE): boolean {
  makePrivateDirectories(dirname(path));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Side files left more open than their database (by an earlier version, or before the
 * owner tightened the database's mode) are brought down to the database's mode.
 */
function tightenSideFiles(path: string): void {
  const mode = statSync(path).mode & 0o777;
  for (const side of [`${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      const stat = statSync(side);
      if ((stat.mode & 0o777 & ~mode) !== 0 && stat.uid === process.getuid?.()) chmodSync(side, stat.mode & 0o777 & mode);
    } catch {
      // Absent, or not ours to change.
    }
  }
}

/**
 * Warnings about who else can read the database at `path` or its side files (an
 * existing database's mode is never changed; `teleclaude-db check` prints these).
 */
export function sqliteExposureWarnings(path: string): string[] {
  if (path === ':memory:') return [];
  const real = sqliteRealPath(path);
  const warnings: string[] = [];
  for (const file of [real, `${real}-wal`, `${real}-shm`, `${real}.lock`]) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue;
    }
    if (mode & 0o077) {
      warnings.push(
        `${file} is accessible to other users (mode 0${mode.toString(8)}); it holds session tokens and webhook secrets: chmod 600 ${file}`,
      );
    }
  }
  return warnings;
}

/**
 * Opens a better-sqlite3 connection with this package's pragmas: WAL (with
 * synchronous = NORMAL, which WAL needs set explicitly to be both safe and fast),
 * busy_timeout, and foreign_keys = ON (SQLite leaves them off by default). A new
 * database file (and any directory made for it) is created readable by its owner only.
 */
export function openSqlite(options: SqliteOptions): SqliteDb {
  const memory = options.path === ':memory:';
  let path = options.path;
  let db: SqliteDb;
  try {
    if (!memory) path = sqliteRealPath(options.path);
    if (!memory && !options.readonly) createPrivateFile(path);
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new UnavailableError(`cannot open SQLite database ${options.path}: ${(error as Error).message}`, { cause: error });
  }
  // busy_timeout first: switching to WAL takes a lock that a concurrent opener may hold.
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs)}`);
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (!memory && !options.readonly) tightenSideFiles(path);
  return db;
}

/**
 * The SQLite connection of a store. better-sqlite3 has one synchronous connection and
 * its `db.transaction()` cannot take an async function, so transactions are run here:
 * an async mutex is held for the whole `BEGIN IMMEDIATE ... COMMIT`, and every other
 * call of the process waits for it. IMMEDIATE takes the write lock up front, so two
 * processes never deadlock upgrading a read lock (SQLITE_BUSY).
 *
 * Every transaction runs on the one `TransactionExecutor` (so repositories bound to it
 * are built once per store): it accepts work only from the async context of the
 * transaction that is open, which a token in `inTransaction` identifies.
 */
export class SqliteDatabase implements SqliteExecutor {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly rawStatements = new Map<string, Database.Statement>();
  /**
   * Who waits for the connection, in order; `transaction` marks a waiting `store.transaction`,
   * whose `grant` says whether its BEGIN IMMEDIATE already ran (see release).
   */
  private readonly waiters: { grant: (begun: boolean) => void; transaction: boolean }[] = [];
  private locked = false;
  /** The transaction handed the lock that has run no statement yet (its empty transaction is ended when the event loop turns). */
  private unusedLock: object | undefined;
  private unusedCheck = false;
  /** The open transaction's token; undefined between transactions. */
  current: object | undefined;
  /** The open transaction has run no statement yet, so its BEGIN IMMEDIATE is still to run. */
  beginPending = false;
  readonly inTransaction = new AsyncLocalStorage<object>();
  /** What `transaction` hands its function; repositories may be bound to it once. */
  readonly transactional: SqliteExecutor = new TransactionExecutor(this);
  private control?: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;

  constructor(
    readonly db: SqliteDb,
    readonly observer?: QueryObserver,
  ) {}

  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.observed(this.db.prepare(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  prepareRaw(sql: string): Database.Statement {
    let statement = this.rawStatements.get(sql);
    if (statement === undefined) {
      statement = this.observed(this.db.prepare(sql).raw(true));
      this.rawStatements.set(sql, statement);
    }
    return statement;
  }

  private observed(statement: Database.Statement): Database.Statement {
    return this.observer ? observedStatement(statement, this.observer) : statement;
  }

  run<T>(work: (db: SqliteDb) => T): Promise<T> {
    // Synchronous work cannot interleave with anything, so it only waits while a
    // transaction (which spans awaits) holds the connection.
    if (!this.locked) {
      try {
        return Promise.resolve(work(this.db));
      } catch (error) {
        return Promise.reject(translateSqliteError(error));
      }
    }
    if (this.inTransaction.getStore()) {
      return Promise.reject(
        new TypeError('store.repositories used inside store.transaction(): use the transaction\'s repositories (tx) instead'),
      );
    }
    return this.acquire(false).then(() => {
      try {
        return work(this.db);
      } catch (error) {
        throw translateSqliteError(error);
      } finally {
        this.release();
      }
    });
  }

  immediate<T>(work: () => T): Promise<T> {
    return this.run(() => this.atomically(work));
  }

  /**
   * `work` in BEGIN IMMEDIATE ... COMMIT, or in a savepoint when a transaction is open;
   * the transaction-control statements are prepared once (cheaper than `db.exec`, and
   * than better-sqlite3's `db.transaction()` wrapper built per call).
   */
  atomically<T>(work: () => T): T {
    const c = this.controls();
    const nested = this.db.inTransaction;
    (nested ? c.savepoint : c.begin).run();
    try {
      const result = work();
      (nested ? c.release : c.commit).run();
      return result;
    } catch (error) {
      // A failure SQLite answers with a rollback of its own (SQLITE_FULL) leaves nothing to undo.
      if (this.db.inTransaction) {
        if (nested) {
          c.rollbackTo.run();
          c.release.run();
        } else {
          c.rollback.run();
        }
      }
      throw error;
    }
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE ... COMMIT with exclusive use of the connection. The
   * BEGIN runs right before the transaction's first statement, in the same synchronous
   * step (see TransactionExecutor.run), so SQLite's write lock is held from the first
   * statement to the COMMIT and not while `fn` does other work first; a transaction that
   * runs no statement takes no lock and commits nothing. A transaction that waited for
   * another of this store's is handed the connection by that one's release with its BEGIN
   * already run, and keeps the lock only if its first statement comes before the event
   * loop turns (see release).
   */
  transaction<T>(fn: (executor: SqliteExecutor) => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) {
      return Promise.reject(new TypeError('store.transaction used inside store.transaction(): use the transaction\'s repositories (tx) instead'));
    }
    // A free connection is taken at once: the uncontended transaction starts without an await.
    return this.tryAcquire() ? this.runTransaction(fn, false) : this.acquire(true).then((begun) => this.runTransaction(fn, begun));
  }

  /** The transaction itself, with the connection held (released at the end); `begun`: handed over with its BEGIN run. */
  private async runTransaction<T>(fn: (executor: SqliteExecutor) => Promise<T>, begun: boolean): Promise<T> {
    const c = this.controls();
    const token = {};
    this.current = token;
    this.beginPending = !begun;
    if (begun) this.holdingUnused(token);
    try {
      const result = await this.inTransaction.run(token, fn, this.transactional);
      if (!this.beginPending) {
        try {
          c.commit.run();
        } catch (error) {
          throw translateSqliteError(error);
        }
      }
      return result;
    } catch (error) {
      if (this.db.inTransaction) c.rollback.run();
      throw error;
    } finally {
      this.current = undefined;
      this.beginPending = false;
      this.unusedLock = undefined;
      this.release();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs the open transaction's BEGIN IMMEDIATE if it has not run yet (right before its first statement). */
  beginIfPending(): void {
    this.unusedLock = undefined;
    if (!this.beginPending) return;
    this.controls().begin.run();
    this.beginPending = false;
  }

  private controls(): NonNullable<SqliteDatabase['control']> {
    // Unobserved on purpose, as transaction control always was: onQuery reports statements.
    return (this.control ??= {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
      savepoint: this.db.prepare('SAVEPOINT tc_immediate'),
      release: this.db.prepare('RELEASE tc_immediate'),
      rollbackTo: this.db.prepare('ROLLBACK TO tc_immediate'),
    });
  }

  /** Takes the connection if it is free; false when another holder has it. */
  private tryAcquire(): boolean {
    if (this.locked) return false;
    this.locked = true;
    return true;
  }

  /** Resolves once the connection is this caller's: true when it was handed over with a BEGIN IMMEDIATE already run for it. */
  private acquire(transaction: boolean): Promise<boolean> {
    return this.tryAcquire() ? Promise.resolve(false) : new Promise((grant) => this.waiters.push({ grant, transaction }));
  }

  /**
   * Hands the connection to the next waiter, or frees it. A waiting transaction gets it
   * with its BEGIN IMMEDIATE run right here, in the synchronous step of the previous
   * COMMIT: while this process has transactions queued, another process cannot take the
   * write lock between them. Each hand-over to another process costs both sides their page
   * cache (SQLite drops it when another connection has written), which in the daemon
   * bench's four processes cost about a fifth more CPU per cycle than the raw driver, whose
   * synchronous transactions follow one another as closely. A transaction handed the lock
   * that runs no statement before the event loop turns (it awaits I/O first) gives it back
   * then (see holdingUnused); its first statement takes it again.
   */
  private release(): void {
    const next = this.waiters.shift();
    if (next === undefined) {
      this.locked = false;
      return;
    }
    next.grant(next.transaction && this.beginForHandOver());
  }

  private beginForHandOver(): boolean {
    if (!this.db.open || this.db.inTransaction) return false;
    try {
      this.controls().begin.run();
      return true;
    } catch {
      // Busy past the timeout (or closing): the transaction's first statement tries again and reports it.
      return false;
    }
  }

  /**
   * `token`'s transaction holds the write lock without having run a statement: if it still
   * has not when the event loop turns (its function awaits something other than this
   * database), its empty transaction is ended so no other process waits on it. Ended with
   * a COMMIT, not a ROLLBACK: should a statement have run outside the executor (which every
   * statement of a transaction must go through), it stays written, as it would have been
   * without the hand-over, instead of being silently undone.
   */
  private holdingUnused(token: object): void {
    this.unusedLock = token;
    if (this.unusedCheck) return;
    this.unusedCheck = true;
    setImmediate(() => {
      this.unusedCheck = false;
      if (this.unusedLock === undefined || this.unusedLock !== this.current || !this.db.open || !this.db.inTransaction) return;
      this.unusedLock = undefined;
      try {
        this.controls().commit.run();
        this.beginPending = true;
      } catch {
        // Still open: the transaction's own COMMIT or ROLLBACK ends it.
      }
    });
  }
}

/** The executor of every transaction of one database: runs work only for the transaction that is open. */
class TransactionExecutor implements SqliteExecutor {
  constructor(private readonly database: SqliteDatabase) {}

  get observer(): QueryObserver | undefined {
    return this.database.observer;
  }

  prepare(sql: string): Database.Statement {
    return this.database.prepare(sql);
  }

  prepareRaw(sql: string): Database.Statement {
    return this.database.prepareRaw(sql);
  }

  run<T>(work: (db: SqliteDb) => T): Promise<T> {
    const database = this.database;
    // Its own transaction's context holds the open token; a tx kept past its transaction
    // holds an older one (or none), also while a later transaction is open.
    if (database.current === undefined || database.inTransaction.getStore() !== database.current) {
      return Promise.reject(new TypeError('transaction repositories used after the transaction ended'));
    }
    try {
      database.beginIfPending();
      return Promise.resolve(work(database.db));
    } catch (error) {
      return Promise.reject(translateSqliteError(error));
    }
  }

  immediate<T>(work: () => T): Promise<T> {
    return this.run(() => this.database.atomically(work));
  }
}

/** Translates better-sqlite3 constraint, lock and disk-full errors into domain errors; others pass through. */
export function translateSqliteError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const message = error.message;
  switch (error.code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return new ConflictError(`unique constraint violated: ${message.replace(/^UNIQUE constraint failed: /, '')}`, {
        cause: error,
      });
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return new ForeignKeyError('foreign key violated: the referenced row does not exist', { cause: error });
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return new ValidationError(columnOf(message), 'must not be null', { cause: error });
    case 'SQLITE_CONSTRAINT_CHECK':
      return new ValidationError(columnOf(message), 'violates a check constraint', { cause: error });
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_SNAPSHOT':
    case 'SQLITE_BUSY_TIMEOUT':
    case 'SQLITE_LOCKED':
      return new UnavailableError(`database is locked by another process: ${message}`, { cause: error });
    // Nothing of the statement (or transaction) was written; it can be retried once space is freed.
    case 'SQLITE_FULL':
      return new UnavailableError(`disk full: the SQLite database cannot grow (${message}); nothing was written, free space and retry`, {
        cause: error,
      });
    default:
      return error;
  }
}

/** `NOT NULL constraint failed: sessions.computer_name` -> `sessions.computer_name`. */
function columnOf(message: string): string {
  const match = /failed: (.+)$/.exec(message);
  return match ? match[1]!.trim() : '';
}

/** Double-quotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
