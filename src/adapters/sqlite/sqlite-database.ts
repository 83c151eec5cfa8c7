import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, ForeignKeyError, UnavailableError, ValidationError } from '../../domain/errors.js';

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
  /** A cached prepared statement. */
  prepare(sql: string): Database.Statement;
}

/**
 * Opens a better-sqlite3 connection with this package's pragmas: WAL (with
 * synchronous = NORMAL, which WAL needs set explicitly to be both safe and fast),
 * busy_timeout, and foreign_keys = ON (SQLite leaves them off by default).
 */
export function openSqlite(options: SqliteOptions): SqliteDb {
  if (options.path !== ':memory:' && !options.readonly) mkdirSync(dirname(options.path), { recursive: true });
  let db: SqliteDb;
  try {
    db = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new UnavailableError(`cannot open SQLite database ${options.path}: ${(error as Error).message}`, { cause: error });
  }
  // busy_timeout first: switching to WAL takes a lock that a concurrent opener may hold.
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * The SQLite connection of a store. better-sqlite3 has one synchronous connection and
 * its `db.transaction()` cannot take an async function, so transactions are run here:
 * an async mutex is held for the whole `BEGIN IMMEDIATE ... COMMIT`, and every other
 * call of the process waits for it. IMMEDIATE takes the write lock up front, so two
 * processes never deadlock upgrading a read lock (SQLITE_BUSY).
 */
export class SqliteDatabase implements SqliteExecutor {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly waiters: (() => void)[] = [];
  private locked = false;
  private readonly inTransaction = new AsyncLocalStorage<true>();

  constructor(readonly db: SqliteDb) {}

  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
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
    return this.acquire().then(() => {
      try {
        return work(this.db);
      } catch (error) {
        throw translateSqliteError(error);
      } finally {
        this.release();
      }
    });
  }

  /** Runs `fn` inside BEGIN IMMEDIATE ... COMMIT with exclusive use of the connection. */
  async transaction<T>(fn: (executor: SqliteExecutor) => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) {
      throw new TypeError('store.transaction used inside store.transaction(): use the transaction\'s repositories (tx) instead');
    }
    await this.acquire();
    try {
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        throw translateSqliteError(error);
      }
      const executor = new TransactionExecutor(this);
      try {
        const result = await this.inTransaction.run(true, () => fn(executor));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      } finally {
        executor.closed = true;
      }
    } finally {
      this.release();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private acquire(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }
}

class TransactionExecutor implements SqliteExecutor {
  closed = false;

  constructor(private readonly database: SqliteDatabase) {}

  prepare(sql: string): Database.Statement {
    return this.database.prepare(sql);
  }

  run<T>(work: (db: SqliteDb) => T): Promise<T> {
    if (this.closed) return Promise.reject(new TypeError('transaction repositories used after the transaction ended'));
    try {
      return Promise.resolve(work(this.database.db));
    } catch (error) {
      return Promise.reject(translateSqliteError(error));
    }
  }
}

/** Translates better-sqlite3 constraint and lock errors into domain errors; others pass through. */
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
