import { AsyncLocalStorage } from 'node:async_hooks';
import mysql from 'mysql2/promise';
import type * as core from 'mysql2';
import type { QueryObserver } from '../../observability.js';
import { MARIADB_DEFAULTS, parseMariadbUrl } from './mariadb-config.js';
import { ConfigError, ConflictError, ForeignKeyError, TeleclaudeError, UnavailableError, ValidationError } from '../../domain/errors.js';

export interface MariadbOptions {
  /** `mariadb://user:password@host:port/database` (`mysql://` too), or the parts below. */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: boolean | { rejectUnauthorized?: boolean; ca?: string; cert?: string; key?: string };
  pool?: { max?: number; idleTimeoutMs?: number };
  /** max_statement_time of every session (default 30 s; 0: none). */
  statementTimeoutMs?: number;
  /** How long a migrator waits for another one's migration lock (default 10 s). */
  migrationLockTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Sent as the connection attribute `program_name` (shown in performance_schema.session_connect_attrs). */
  applicationName?: string;
}

/** What one statement returned. */
export interface MariadbResult<R = Record<string, unknown>> {
  /** The rows of a SELECT (or of `INSERT/DELETE ... RETURNING`); empty for other writes. */
  rows: R[];
  /**
   * Rows returned, or for INSERT/UPDATE/DELETE the rows affected. UPDATE counts the rows
   * matched (CLIENT_FOUND_ROWS), changed or not, as PostgreSQL does; `INSERT ... ON
   * DUPLICATE KEY UPDATE` counts 1 per inserted row and 2 per updated one (MariaDB's rule).
   */
  rowCount: number;
  /** The AUTO_INCREMENT value of the first row an INSERT wrote (0 when none). */
  insertId: number;
}

/**
 * Runs parameterised SQL (`?` placeholders, MariaDB syntax) on the pool (one statement,
 * any connection) or on one transaction's connection.
 *
 * Parameters: string, number, boolean, null/undefined (NULL), Date (written as UTC
 * `DATETIME(3)` text, years 1..9999), Buffer (binary), and an array of those, which
 * expands to a comma-separated list (for `IN (?)`). A plain object is a TypeError: JSON
 * must be passed as text (`JSON.stringify`).
 *
 * Values read: DATETIME/TIMESTAMP/DATE as Date (UTC), TINYINT(1) (BOOLEAN) as boolean,
 * integers and DECIMAL as number (BIGINT past 2^53 as string), JSON columns as their
 * text (MariaDB's JSON is LONGTEXT), text as string, BLOB as Buffer.
 */
export interface MariadbExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<MariadbResult<R>>;
  /** Like `query`, with each row as an array of its values in column order (no object per row). */
  queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /**
   * Runs `fn` atomically. On the pool: in a transaction of its own on one connection,
   * committed when `fn` resolves, rolled back when it throws; run again (up to 10 times in
   * all) when the server chose it as a deadlock victim, so `fn` must do nothing but
   * statements on `tx`. Inside a transaction: within a savepoint, rolled back to it when `fn`
   * throws (the enclosing transaction goes on). For multi-statement work that must be all
   * or nothing, e.g. `SELECT ... FOR UPDATE SKIP LOCKED` then `UPDATE`.
   */
  atomic<T>(fn: (tx: MariadbExecutor) => Promise<T>): Promise<T>;
  /** Set when the store is observed: its statements report to it. */
  readonly observer?: QueryObserver;
}

/** The session settings every connection of this package runs with. */
export const SESSION_SQL =
  "SET time_zone = '+00:00', " +
  "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_CREATE_USER', " +
  "names 'utf8mb4' COLLATE 'utf8mb4_nopad_bin', " +
  "tx_isolation = 'READ-COMMITTED'";

function timeoutSql(options: MariadbOptions): string {
  const ms = options.statementTimeoutMs ?? MARIADB_DEFAULTS.statementTimeoutMs;
  return `, max_statement_time = ${Math.max(0, ms) / 1000}`;
}

export { parseMariadbUrl } from './mariadb-config.js';

const DATETIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;

/**
 * DATETIME/TIMESTAMP/DATE text (the session's time zone is UTC) -> Date, with
 * setUTCFullYear so that years 1..99 stay themselves (mysql2's own parser makes 0001 into
 * 2001).
 */
export function parseDatetime(text: string): Date {
  const m = DATETIME_TEXT.exec(text);
  if (!m) throw new RangeError(`unrecognised DATETIME text ${JSON.stringify(text)}`);
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const ms = m[7] ? Math.trunc(Number(`0.${m[7]}`) * 1000 + 1e-6) : 0;
  date.setUTCHours(Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms);
  return date;
}

// mysql2's column type codes (lib/constants/types.js).
const TYPE_TINY = 0x01;
const TYPE_TIMESTAMP = 0x07;
const TYPE_DATE = 0x0a;
const TYPE_DATETIME = 0x0c;
const TYPE_NEWDATE = 0x0e;

/** What one column's values need after mysql2's own parsing: DATETIME text -> Date, TINYINT(1) -> boolean. */
function castOf(field: core.FieldPacket): 'date' | 'bool' | null {
  switch (field.columnType) {
    case TYPE_DATETIME:
    case TYPE_TIMESTAMP:
    case TYPE_DATE:
    case TYPE_NEWDATE:
      return 'date';
    case TYPE_TINY:
      return field.columnLength === 1 ? 'bool' : null;
    default:
      return null;
  }
}

/**
 * Applies the package's reading rules to rows mysql2 parsed natively (dates as text,
 * TINYINT as number), in place: the columns are looked at once per result, and rows are
 * touched only when a column needs it. A typeCast function would do the same inside
 * mysql2's row parser at the price of a wrapper object, a closure and a call per column
 * and row, which cost more than the rest of the statement's client work together.
 */
function castRows(rows: unknown, fields: unknown, asArrays: boolean): void {
  if (!Array.isArray(rows) || rows.length === 0 || !Array.isArray(fields) || fields.length === 0) return;
  if (fields[0] === undefined || Array.isArray(fields[0])) {
    // Several statements in one query (multipleStatements): one result and field list each
    // (no field list, undefined, for a statement that returns no rows).
    for (let i = 0; i < fields.length; i++) castRows(rows[i], fields[i], asArrays);
    return;
  }
  let casts: [key: string | number, cast: 'date' | 'bool'][] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as core.FieldPacket;
    const cast = castOf(field);
    if (cast) (casts ??= []).push([asArrays ? i : field.name, cast]);
  }
  if (!casts) return;
  for (const row of rows as Record<string | number, unknown>[]) {
    for (const [key, cast] of casts) {
      const value = row[key];
      if (value === null || value === undefined) continue;
      row[key] = cast === 'date' ? parseDatetime(value as string) : value !== 0;
    }
  }
}

/** mysql2 connection settings for these options (shared by the pool, the lock connection and migrations). */
export function connectionConfig(options: MariadbOptions): mysql.ConnectionOptions {
  const target = options.url
    ? parseMariadbUrl(options.url)
    : { host: options.host ?? 'localhost', port: options.port ?? 3306, user: options.user, password: options.password, database: options.database };
  const ssl = options.ssl || ('ssl' in target ? target.ssl : undefined);
  return {
    host: target.host,
    port: target.port,
    user: target.user ?? 'root',
    password: target.password,
    database: target.database,
    ...(ssl ? { ssl: ssl === true ? {} : ssl } : {}),
    charset: 'UTF8MB4_GENERAL_CI',
    timezone: 'Z',
    // mysql2's native parsing, dates as text; castRows does the rest (see there).
    typeCast: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    // No stack capture on every call: runOn gives a failed statement's error its caller's stack.
    trace: false,
    connectTimeout: options.connectTimeoutMs ?? MARIADB_DEFAULTS.connectTimeoutMs,
    enableKeepAlive: true,
    // LOAD DATA LOCAL would let a hostile server read this process's files.
    flags: ['-LOCAL_FILES'],
    connectAttributes: { program_name: options.applicationName ?? MARIADB_DEFAULTS.applicationName },
  };
}

/** A pool for these options with their session settings. */
export function createMariadbDatabase(options: MariadbOptions, observer?: QueryObserver): MariadbDatabase {
  const pool = mysql.createPool({
    ...connectionConfig(options),
    connectionLimit: options.pool?.max ?? MARIADB_DEFAULTS.pool.max,
    maxIdle: options.pool?.max ?? MARIADB_DEFAULTS.pool.max,
    idleTimeout: options.pool?.idleTimeoutMs ?? MARIADB_DEFAULTS.pool.idleTimeoutMs,
    waitForConnections: true,
    queueLimit: 0,
  });
  const init = SESSION_SQL + timeoutSql(options);
  // Queued before the first statement the pool hands the new connection, so it runs first.
  pool.pool.on('connection', (connection: core.PoolConnection) => {
    connection.query(init, (error) => {
      if (error) connection.destroy();
    });
  });
  return new MariadbDatabase(pool, observer);
}

/** A connection that runs statements: the pool's or one checked out. */
interface Queryable {
  query(sql: string | mysql.QueryOptions, values?: unknown): Promise<[unknown, unknown]>;
}

/** Refuses parameters that mysql2 would expand into SQL fragments rather than values. */
function checkParams(params: unknown[] | undefined): unknown[] | undefined {
  if (!params) return params;
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (value === null || value === undefined || typeof value !== 'object') continue;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new RangeError(`parameter ${i + 1} is an Invalid Date`);
      continue;
    }
    if (Buffer.isBuffer(value)) continue;
    if (Array.isArray(value)) {
      if (value.some((v) => v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v))) {
        throw new TypeError(`parameter ${i + 1} is an array holding an object or array: only a flat list of values is a parameter`);
      }
      continue;
    }
    throw new TypeError(`parameter ${i + 1} is an object: pass JSON as text (JSON.stringify)`);
  }
  return params;
}

/** mysql2's result -> MariadbResult. */
function toResult<R>(raw: unknown): MariadbResult<R> {
  if (Array.isArray(raw)) return { rows: raw as R[], rowCount: raw.length, insertId: 0 };
  const header = raw as { affectedRows?: number; insertId?: number | string };
  return { rows: [], rowCount: header.affectedRows ?? 0, insertId: Number(header.insertId ?? 0) };
}

async function runOn<R>(
  connection: Queryable,
  sql: string,
  params: unknown[] | undefined,
  observer: QueryObserver | undefined,
  rowsAsArray = false,
): Promise<MariadbResult<R>> {
  const values = checkParams(params);
  const start = observer ? performance.now() : 0;
  let raw: unknown;
  try {
    // The options form only when it is needed: mysql2 merges an options object into its
    // defaults with two object spreads (2-4 µs a statement, measured), which the
    // plain string form skips.
    const [result, fields] = await (rowsAsArray ? connection.query({ sql, rowsAsArray }, values ?? []) : connection.query(sql, values ?? []));
    castRows(result, fields, rowsAsArray);
    raw = result;
  } catch (error) {
    observer?.report(sql, params, start, error);
    // mysql2 built the error in its socket callback (trace is off): give it the stack of
    // this call and its callers instead (V8's async stack trace of this await).
    if (error instanceof Error) Error.captureStackTrace(error, runOn);
    throw translateMariadbError(error);
  }
  observer?.report(sql, params, start);
  return toResult<R>(raw);
}

/** Deadlock victim (1213): the server rolled the whole transaction back, so running it again is safe. */
export function isDeadlock(error: unknown): boolean {
  const original = error instanceof TeleclaudeError ? error.cause : error;
  return (original as { errno?: number } | null)?.errno === 1213;
}

/** How often the pool runs a statement or transaction the server chose as a deadlock victim, in all. */
const DEADLOCK_ATTEMPTS = 10;

/** `run` (a statement or transaction of its own on the pool) again while the server chooses it as a deadlock victim, up to DEADLOCK_ATTEMPTS in all. */
async function retryDeadlocks<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(isDeadlock(error) && attempt < DEADLOCK_ATTEMPTS)) throw error;
      // A short random pause, so that the work that collided does not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

/**
 * A statement queued but not awaited yet (BEGIN, SAVEPOINT): the driver runs a
 * connection's statements in order, sending the next one as soon as the previous one's
 * answer is in (mysql2 does not pipeline), so the caller's next statement is queued at
 * once and awaits it before its own result counts.
 */
interface Pipeline {
  pending: Promise<unknown> | null;
}

function send(pipeline: Pipeline, connection: Queryable, sql: string, observer: QueryObserver | undefined): void {
  const sent = runOn(connection, sql, undefined, observer);
  sent.catch(() => {});
  pipeline.pending = sent;
}

async function settled(pipeline: Pipeline): Promise<void> {
  const pending = pipeline.pending;
  pipeline.pending = null;
  if (pending) await pending;
}

/**
 * One transaction's statements on `connection` (inside BEGIN). Savepoints are named per
 * nesting depth.
 */
class TransactionExecutor implements MariadbExecutor {
  finished = false;

  constructor(
    private readonly connection: Queryable,
    readonly observer: QueryObserver | undefined,
    private readonly pipeline: Pipeline,
    private readonly depth = 0,
  ) {}

  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<MariadbResult<R>> {
    return this.run<R>(sql, params, false);
  }

  async queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]> {
    return (await this.run<unknown[]>(sql, params, true)).rows;
  }

  private async run<R>(sql: string, params: unknown[] | undefined, rowsAsArray: boolean): Promise<MariadbResult<R>> {
    if (this.finished) throw new TypeError('transaction repositories used after the transaction ended');
    const result = runOn<R>(this.connection, sql, params, this.observer, rowsAsArray);
    try {
      await settled(this.pipeline);
    } catch (error) {
      await result.catch(() => {});
      throw error;
    }
    return result;
  }

  async atomic<T>(fn: (tx: MariadbExecutor) => Promise<T>): Promise<T> {
    if (this.finished) throw new TypeError('transaction repositories used after the transaction ended');
    const name = `tc_sp_${this.depth + 1}`;
    await settled(this.pipeline);
    send(this.pipeline, this.connection, `SAVEPOINT ${name}`, this.observer);
    const inner = new TransactionExecutor(this.connection, this.observer, this.pipeline, this.depth + 1);
    try {
      const result = await fn(inner);
      await settled(this.pipeline);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      // A deadlock or a lost connection already ended the whole transaction: nothing to roll back to.
      if (!isDeadlock(error) && !(error instanceof UnavailableError)) {
        await settled(this.pipeline).catch(() => {});
        await this.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
      }
      throw error;
    } finally {
      inner.finished = true;
    }
  }
}

/**
 * `fn` inside BEGIN ... COMMIT on `connection`; ROLLBACK when it throws. Calls `onBroken`
 * when the connection must not be reused (its ROLLBACK failed).
 */
async function commitOrRollback<T>(
  connection: Queryable,
  fn: (tx: MariadbExecutor) => Promise<T>,
  observer: QueryObserver | undefined,
  onBroken: () => void,
): Promise<T> {
  const pipeline: Pipeline = { pending: null };
  send(pipeline, connection, 'BEGIN', observer);
  const tx = new TransactionExecutor(connection, observer, pipeline);
  try {
    const result = await fn(tx);
    tx.finished = true;
    await settled(pipeline);
    await runOn(connection, 'COMMIT', undefined, observer);
    return result;
  } catch (error) {
    tx.finished = true;
    await settled(pipeline).catch(() => {});
    try {
      await connection.query({ sql: 'ROLLBACK' });
    } catch {
      onBroken();
    }
    throw error;
  }
}

/** The pool of a store: owns checkout, transactions and release, and translates errors. */
export class MariadbDatabase implements MariadbExecutor {
  /** Set while a transaction's function runs, to refuse pool work from inside it. */
  private readonly inTransaction = new AsyncLocalStorage<{ active: boolean }>();
  private closed = false;

  constructor(
    readonly pool: mysql.Pool,
    readonly observer?: QueryObserver,
  ) {}

  /**
   * One statement on the pool, committing on its own. When the server picks it as a
   * deadlock victim (concurrent INSERTs of one unique key can deadlock in InnoDB), it is run
   * again, as `atomic` runs a transaction again: the server rolled the whole statement back,
   * and the pool sends one statement per query (no multipleStatements), so nothing of it
   * was kept.
   */
  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<MariadbResult<R>> {
    this.refuseInsideTransaction('store.repositories');
    return retryDeadlocks(() => runOn<R>(this.pool as unknown as Queryable, sql, params, this.observer));
  }

  /** Like `query`, with each row as an array of its values in column order. */
  async queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]> {
    this.refuseInsideTransaction('store.repositories');
    return (await retryDeadlocks(() => runOn<unknown[]>(this.pool as unknown as Queryable, sql, params, this.observer, true))).rows;
  }

  /**
   * BEGIN ... COMMIT on one checked-out connection; ROLLBACK when `fn` throws. The
   * connection is released once, and destroyed when it broke. Pool work started from
   * inside `fn` is a TypeError (it would wait for a pool slot the transaction may hold,
   * and not see its writes).
   */
  async transaction<T>(fn: (tx: MariadbExecutor) => Promise<T>): Promise<T> {
    this.refuseInsideTransaction('store.transaction');
    const state = { active: true };
    try {
      return await this.inTransaction.run(state, () => this.runTransaction(fn));
    } finally {
      state.active = false;
    }
  }

  /**
   * A transaction of its own, run again when chosen as a deadlock victim (see
   * MariadbExecutor.atomic). Not inside `inTransaction`'s context: `fn` is an adapter's
   * own statements on `tx`, which does no pool work, and on Node 20 entering an
   * AsyncLocalStorage context turns on the promise hooks that every promise of the
   * process pays for from then on.
   */
  async atomic<T>(fn: (tx: MariadbExecutor) => Promise<T>): Promise<T> {
    this.refuseInsideTransaction('store.repositories');
    return retryDeadlocks(() => this.runTransaction(fn));
  }

  private async runTransaction<T>(fn: (tx: MariadbExecutor) => Promise<T>): Promise<T> {
    const connection = await this.checkout();
    let broken = false;
    try {
      return await commitOrRollback(connection as unknown as Queryable, fn, this.observer, () => (broken = true));
    } catch (error) {
      if (error instanceof UnavailableError) broken = true;
      throw error;
    } finally {
      if (broken) connection.destroy();
      else connection.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async checkout(): Promise<mysql.PoolConnection> {
    try {
      return await this.pool.getConnection();
    } catch (error) {
      throw translateMariadbError(error);
    }
  }

  private refuseInsideTransaction(what: string): void {
    if (this.inTransaction.getStore()?.active) {
      throw new TypeError(`${what} used inside store.transaction(): use the transaction's repositories (tx) instead`);
    }
  }
}

/** A connection of its own (not pooled), for work that needs one session throughout. */
export interface MariadbSession extends MariadbExecutor {
  /** The server's id of this connection (CONNECTION_ID()). */
  readonly threadId: number;
  /** BEGIN ... COMMIT on this session; ROLLBACK when `fn` throws. */
  transaction<T>(fn: (tx: MariadbExecutor) => Promise<T>): Promise<T>;
  /** Runs `listener` once if the connection ends other than by `end()` (server restart, network loss). */
  onLost(listener: (error: Error) => void): void;
  /** Closes the connection; the server releases the session's GET_LOCK locks. Never throws. */
  end(): Promise<void>;
}

/**
 * Opens a dedicated session with the store's settings. `multipleStatements` lets one
 * `query` carry several statements (migration files); its result is then the last one's.
 */
export async function openMariadbSession(
  options: MariadbOptions,
  overrides: { multipleStatements?: boolean; statementTimeoutMs?: number } = {},
): Promise<MariadbSession> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({ ...connectionConfig(options), multipleStatements: overrides.multipleStatements ?? false });
  } catch (error) {
    throw translateMariadbError(error);
  }
  const core = (connection as unknown as { connection: core.Connection }).connection;
  let ending = false;
  let lost: Error | undefined;
  const lostListeners: ((error: Error) => void)[] = [];
  // Not destroyed here: mysql2 fails the command in flight when the socket closes, unless
  // the connection is already closing (a destroy() between the server's FIN and the close
  // would leave that command unanswered for ever). end() drops the socket.
  const markLost = (error: Error) => {
    if (ending || lost) return;
    lost = error;
    for (const listener of lostListeners) listener(error);
  };
  core.on('error', markLost);
  core.on('end', () => markLost(new Error('the connection ended')));
  const queryable = connection as unknown as Queryable;
  try {
    await runOn(queryable, SESSION_SQL + timeoutSql({ statementTimeoutMs: overrides.statementTimeoutMs ?? options.statementTimeoutMs }), undefined, undefined);
  } catch (error) {
    ending = true;
    core.destroy();
    throw error;
  }
  const session: MariadbSession = {
    threadId: core.threadId ?? 0,
    async query<R = Record<string, unknown>>(sql: string, params?: unknown[]) {
      return runOn<R>(queryable, sql, params, undefined);
    },
    async queryArrays(sql: string, params?: unknown[]) {
      return (await runOn<unknown[]>(queryable, sql, params, undefined, true)).rows;
    },
    async transaction(fn) {
      return commitOrRollback(queryable, fn, undefined, () => {
        markLost(new Error('ROLLBACK failed'));
        core.destroy();
      });
    },
    async atomic(fn) {
      return session.transaction(fn);
    },
    onLost(listener) {
      if (lost) listener(lost);
      else lostListeners.push(listener);
    },
    async end() {
      if (ending) return;
      ending = true;
      if (lost) {
        core.destroy();
        return;
      }
      // A connection the server closed a moment ago (KILL, shutdown) may never answer the
      // goodbye, and its 'end' may not have arrived yet: give it a second, then drop the socket.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gone = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
      await Promise.race([connection.end().catch(() => {}), gone]);
      clearTimeout(timer);
      core.destroy();
    },
  };
  return session;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
]);

/** Server error numbers that mean the server or the session is gone or refuses work for now. */
const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1077, // ER_NORMAL_SHUTDOWN
  1078, // ER_GOT_SIGNAL
  1079, // ER_SHUTDOWN_COMPLETE
  1152, // ER_ABORTING_CONNECTION
  1317, // ER_QUERY_INTERRUPTED
  1927, // ER_CONNECTION_KILLED
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT
]);

/** Values the server refused as not fitting their column (too long, out of range, not a date, not UTF-8, not JSON). */
const VALUE_ERRNOS = new Set([1264, 1265, 1292, 1366, 1367, 1406, 1411, 1416, 3140, 4038]);

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

type MariaError = Error & { code?: string; errno?: number; sqlMessage?: string; fatal?: boolean };

/** Why the server refused a connection for a reason retrying cannot fix, or null. Never names the password. */
function configurationProblem(e: MariaError): string | null {
  const message = (e.sqlMessage ?? e.message).split('\n')[0]!;
  switch (e.errno) {
    case 1045:
    case 1698:
      return `wrong password, or no such user (${message})`;
    case 1044:
      return `the user may not use this database (${message})`;
    case 1049:
      return `no such database (${message})`;
    case 1130:
      return `the server does not admit this host (${message})`;
    case 1251:
      return `the server asks for an authentication method the driver does not support (${message})`;
  }
  if (e.code && CERTIFICATE_CODES.has(e.code)) return `the server's TLS certificate is not trusted by the ssl settings (${message})`;
  if (/Server does not support secure connection/i.test(message)) return 'ssl is set but the server does not accept TLS connections';
  return null;
}

/** The column a "Column 'x' cannot be null" / "Field 'x' doesn't have a default value" message names. */
function columnOf(message: string): string {
  return /(?:column|field) '([^']+)'/i.exec(message)?.[1] ?? '';
}

/**
 * Duplicate key (1062) -> ConflictError; missing or still-referenced parent (1451, 1452,
 * 1216, 1217) -> ForeignKeyError; NULL into NOT NULL (1048, 1364), a failed CHECK (4025)
 * and values that do not fit their column -> ValidationError; refused connections for a
 * wrong setting -> ConfigError; lost or refused connections, shutdown, statement
 * timeout, full disk and read-only server -> UnavailableError. Anything else passes
 * through unchanged.
 */
export function translateMariadbError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof TeleclaudeError) return error;
  const e = error as MariaError;
  const message = e.sqlMessage ?? e.message;
  const configuration = configurationProblem(e);
  if (configuration) return new ConfigError('database.mariadb', `cannot connect: ${configuration}`, { cause: error });
  switch (e.errno) {
    case 1062:
    case 1586:
      return new ConflictError(`unique constraint violated: ${message}`, { cause: error });
    case 1451:
    case 1452:
    case 1216:
    case 1217:
      return new ForeignKeyError(`foreign key violated: ${message}`, { cause: error });
    case 1048:
    case 1364:
      return new ValidationError(columnOf(message), 'must not be null', { cause: error });
    case 4025:
    case 3819:
      return new ValidationError(/CONSTRAINT `([^`]+)`/.exec(message)?.[1] ?? '', 'violates a check constraint', { cause: error });
    case 1969:
    case 3024:
      return new UnavailableError(`statement timed out: ${message}`, { cause: error });
    case 1021:
    case 1114:
      // Nothing was written; the same write works once the server has space again.
      return new UnavailableError(`the server's disk or table is full: ${message}`, { cause: error });
    case 1290:
    case 1836:
      return new UnavailableError(`database unavailable: the server is read-only now (${message})`, { cause: error });
  }
  if (e.errno !== undefined && VALUE_ERRNOS.has(e.errno)) return new ValidationError(columnOf(message), message, { cause: error });
  if ((e.errno !== undefined && UNAVAILABLE_ERRNOS.has(e.errno)) || (e.code && CONNECTION_CODES.has(e.code)) || isConnectionMessage(message)) {
    return new UnavailableError(`database unavailable: ${message}`, { cause: error });
  }
  return error;
}

function isConnectionMessage(message: string): boolean {
  return /Connection lost|connection is in closed state|Pool is closed|connect ETIMEDOUT|connect ECONNREFUSED|read ECONNRESET/i.test(message);
}

/** Backquotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
