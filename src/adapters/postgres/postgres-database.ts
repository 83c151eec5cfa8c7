import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { QueryObserver } from '../../observability.js';
import { CopyIn, type CopyData } from './postgres-copy-in.js';
import { pgTypes, utcParams } from './postgres-types.js';
import { ConfigError, ConflictError, ForeignKeyError, TeleclaudeError, UnavailableError, ValidationError } from '../../domain/errors.js';
import { beginSql, SessionSettler, type SessionSettings, type Statement } from './postgres-session-settings.js';
import { HostSelector, hostPlan, serverGone, type TargetSessionAttrs } from './postgres-hosts.js';
import { POSTGRES_DEFAULTS } from './postgres-config.js';

export { pgTypes } from './postgres-types.js';

export interface PostgresOptions {
  /** A connection string (libpq's several-host form included), or the parts below. */
  url?: string;
  /** Several servers (primary and standbys), tried in order; overrides the URL's and `host`/`port`. */
  hosts?: { host: string; port?: number }[];
  /** `read-write` (the default with several hosts): connect only to a server that accepts writes. */
  targetSessionAttrs?: TargetSessionAttrs;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: boolean | { rejectUnauthorized?: boolean; ca?: string; cert?: string; key?: string };
  schema?: string;
  pool?: { min?: number; max?: number; idleTimeoutMs?: number };
  statementTimeoutMs?: number;
  /** Lease of the instance lock, renewed every third of it (default 15 s). */
  instanceLockLeaseMs?: number;
  /** lock_timeout of each migration's transaction (default 10 s). */
  migrationLockTimeoutMs?: number;
  connectTimeoutMs?: number;
  applicationName?: string;
  /** false: `waitForWork` polls instead of LISTEN (LISTEN needs a direct connection, not a transaction pooler). */
  listen?: boolean;
}

/** Runs parameterised SQL on a pool (one statement, any connection) or on one transaction's client. */
export interface PostgresExecutor {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Like `query`, with each row as an array of its values in column order: no object per row for a codec's `fromArray` to read. */
  queryArrays(text: string, params?: unknown[]): Promise<unknown[][]>;
  /** Set when the store is observed: its statements report to it. */
  readonly observer?: QueryObserver;
}

/** The per-transaction settings of these options (see postgres-session-settings.ts). */
export function sessionSettings(options: PostgresOptions): SessionSettings {
  return { schema: options.schema ?? POSTGRES_DEFAULTS.schema, statementTimeoutMs: options.statementTimeoutMs ?? POSTGRES_DEFAULTS.statementTimeoutMs };
}

/**
 * pg client settings for these options (shared by the pool, the lock client and
 * migrations). Only what every pooler passes on goes into the startup packet; schema and
 * statement timeout travel with each transaction (`sessionSettings`).
 */
export function clientConfig(options: PostgresOptions): pg.ClientConfig {
  // A URL is complete on its own; the separate parts apply only without one.
  const target = options.url
    ? { connectionString: hostPlan(options).url! }
    : { host: options.host, port: options.port, database: options.database, user: options.user, password: options.password };
  return {
    ...target,
    ssl: options.ssl,
    types: pgTypes,
    keepAlive: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? POSTGRES_DEFAULTS.connectTimeoutMs,
    application_name: options.applicationName ?? POSTGRES_DEFAULTS.applicationName,
  };
}

/**
 * The first error of each live client. Every client this package holds gets its listener
 * (`watch`) before it can emit anything and keeps it until it is garbage: pg emits
 * 'error' on a client whose connection dies even while a query is in flight, and an
 * 'error' event nobody listens to ends the process.
 */
const connectionErrors = new WeakMap<pg.ClientBase, Error>();

function watch(client: pg.ClientBase): void {
  client.on('error', (error: Error) => {
    if (!connectionErrors.has(client)) connectionErrors.set(client, error);
  });
}

/** The error that broke `client`'s connection, if it broke. */
function brokenBy(client: pg.ClientBase): Error | undefined {
  return connectionErrors.get(client);
}

/** Picks among the configured servers (inactive with one server and no session attribute to check). */
export function hostSelector(options: PostgresOptions): HostSelector {
  return new HostSelector(hostPlan(options), clientConfig(options));
}

/** A pg.Client class whose instances connect to the server `selector` chose last. */
function clientClassFor(selector: HostSelector): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(selector.configFor(config ?? {}));
    }
  };
}

/**
 * A new pool whose every client is watched from the moment it connects. With several
 * servers, each new client goes to the one `selector` chose last.
 */
export function createPool(options: PostgresOptions, selector?: HostSelector): pg.Pool {
  const Client = selector?.active ? clientClassFor(selector) : undefined;
  const pool = new pg.Pool({
    ...clientConfig(options),
    ...(Client ? { Client } : {}),
    min: options.pool?.min ?? POSTGRES_DEFAULTS.pool.min,
    max: options.pool?.max ?? POSTGRES_DEFAULTS.pool.max,
    idleTimeoutMillis: options.pool?.idleTimeoutMs ?? POSTGRES_DEFAULTS.pool.idleTimeoutMs,
  });
  // pg-pool removes its own (idle) listener when it hands a client out. 'connect' is
  // emitted for a new client before its first checkout, while that idle listener is
  // still attached, so a client is never without a listener.
  pool.on('connect', watch);
  pool.on('error', () => {
    // An idle client lost its connection (server restart, network). The pool drops it
    // and the next query opens a new one; nothing else needs to happen here.
  });
  return pool;
}

/** A pool for these options with their session settings. */
export function createDatabase(options: PostgresOptions, observer?: QueryObserver): PostgresDatabase {
  const selector = hostSelector(options);
  return new PostgresDatabase(createPool(options, selector), sessionSettings(options), selector, observer);
}

/** One transaction's statements, on its own connection. */
export interface PostgresTransaction extends PostgresExecutor {
  /** Runs `COPY ... FROM STDIN` (`statement`) fed by `chunks`; resolves with the rows the server took. */
  copyFrom(statement: string, chunks: AsyncIterable<string | Buffer | CopyData>): Promise<number>;
}

/**
 * `fn` on `client`, which is inside BEGIN: COMMIT when it resolves, ROLLBACK when it
 * throws. A client whose ROLLBACK fails is marked broken so that it is never reused.
 */
async function commitOrRollback<T>(
  client: pg.ClientBase,
  fn: (tx: PostgresTransaction) => Promise<T>,
  observer?: QueryObserver,
  preparedName?: (statement: Statement) => string | undefined,
): Promise<T> {
  let finished = false;
  const usable = () => {
    if (finished) throw new TypeError('transaction repositories used after the transaction ended');
  };
  const run = async <R extends pg.QueryResultRow>(text: string, params: unknown[] | undefined, rowMode?: 'array'): Promise<pg.QueryResult<R>> => {
    usable();
    const start = observer ? performance.now() : 0;
    const values = utcParams(params);
    const name = preparedName?.({ text, values });
    try {
      const result =
        rowMode || name !== undefined
          ? ((await client.query({ name, text, values, rowMode } as pg.QueryConfig)) as unknown as pg.QueryResult<R>)
          : await client.query<R>(text, values);
      observer?.report(text, params, start);
      return result;
    } catch (error) {
      observer?.report(text, params, start, error);
      // Its prepared statements are stale: the connection goes, and they with it.
      if (cachedPlanChanged(error) && !brokenBy(client)) connectionErrors.set(client, error as Error);
      throw translatePostgresError(error);
    }
  };
  const tx: PostgresTransaction = {
    observer,
    query: (text, params) => run(text, params),
    async queryArrays(text, params) {
      return (await run(text, params, 'array')).rows as unknown as unknown[][];
    },
    async copyFrom(statement, chunks) {
      usable();
      const copy = new CopyIn(statement, chunks);
      client.query(copy);
      try {
        return await copy.done;
      } catch (error) {
        throw translatePostgresError(error);
      }
    },
  };
  try {
    const result = await fn(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    if (!brokenBy(client)) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        if (!brokenBy(client)) connectionErrors.set(client, rollbackError as Error);
      }
    }
    throw error;
  } finally {
    finished = true;
  }
}

/** The pool of a store: owns checkout, transactions and release, and translates errors. */
export class PostgresDatabase implements PostgresExecutor {
  /** Set while a transaction's function runs, to refuse pool work from inside it. */
  private readonly inTransaction = new AsyncLocalStorage<{ active: boolean }>();

  /** Tells direct sessions from pooled ones and runs single statements with the settings. */
  readonly sessions: SessionSettler;

  constructor(
    readonly pool: pg.Pool,
    readonly settings: SessionSettings = { schema: 'public', statementTimeoutMs: 30_000 },
    private readonly selector?: HostSelector,
    readonly observer?: QueryObserver,
  ) {
    this.sessions = new SessionSettler(pool, settings);
  }

  /**
   * A pooled client, on the chosen server when there are several. Its errors that mean
   * "this server is gone or a standby now" make the next checkout choose again.
   */
  private checkout(): Promise<pg.PoolClient> {
    // Not async (one promise less on every statement): the pool's own promise, its failure translated.
    const connected = this.selector?.active ? this.selector.ready().then(() => this.pool.connect()) : this.pool.connect();
    return connected.catch((error: unknown) => {
      this.serverFailed(error);
      throw translatePostgresError(error);
    });
  }

  private serverFailed(error: unknown): void {
    const original = error instanceof TeleclaudeError ? error.cause : error;
    if (this.selector?.active && serverGone(original)) this.selector.invalidate();
  }

  // Not async: each async layer is one more promise on every repository read.
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      this.refuseInsideTransaction('store.repositories');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.run<R>({ text, values: utcParams(params) });
  }

  /** Like `query`, with each row as an array of its values in column order. */
  queryArrays(text: string, params?: unknown[]): Promise<unknown[][]> {
    try {
      this.refuseInsideTransaction('store.repositories');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.run({ text, values: utcParams(params), rowMode: 'array' }).then((result) => result.rows as unknown as unknown[][]);
  }

  /**
   * One statement on a checked-out client. A client whose connection broke (or whose
   * session the server ended) is destroyed; a statement that failed on a session the
   * server had ended before it ran is retried on another connection.
   */
  private async run<R extends pg.QueryResultRow>(config: Statement): Promise<pg.QueryResult<R>> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.checkout();
      let broken: Error | undefined;
      const start = this.observer ? performance.now() : 0;
      try {
        const result = await this.sessions.query<R>(client, config);
        this.observer?.report(config.text, config.values, start);
        return result;
      } catch (error) {
        this.observer?.report(config.text, config.values, start, error);
        this.serverFailed(error);
        broken = brokenBy(client) ?? (serverGone(error) || cachedPlanChanged(error) || !(error instanceof pg.DatabaseError) ? (error as Error) : undefined);
        // A statement prepared before another process changed a table it reads ran nothing: it
        // runs again on another connection (this one goes, and its stale statements with it).
        if (!((sessionTerminated(error) || cachedPlanChanged(error)) && attempt < this.staleRetries())) throw translatePostgresError(error);
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * BEGIN ... COMMIT on one checked-out client; ROLLBACK when `fn` throws. The client is
   * released once, and destroyed when its connection broke. Pool work started from
   * inside `fn` (store.repositories instead of the transaction's) is a TypeError: it
   * would wait for a pool slot the transaction may be holding, and not see its writes.
   */
  async transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    this.refuseInsideTransaction('store.transaction');
    const client = await this.begin();
    const state = { active: true };
    try {
      const preparedName = (statement: Statement) => this.sessions.preparedName(client, statement);
      return await this.inTransaction.run(state, () => commitOrRollback(client, fn, this.observer, preparedName));
    } catch (error) {
      this.serverFailed(error);
      throw error;
    } finally {
      state.active = false;
      client.release(brokenBy(client));
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private refuseInsideTransaction(what: string): void {
    if (this.inTransaction.getStore()?.active) {
      throw new TypeError(`${what} used inside store.transaction(): use the transaction's repositories (tx) instead`);
    }
  }

  /**
   * A checked-out client inside BEGIN. A client whose connection turns out dead (a
   * pooled client the server ended while it was idle) is destroyed and another one
   * taken: BEGIN changes nothing, so running it again is always safe.
   */
  private async begin(): Promise<pg.PoolClient> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.checkout();
      try {
        await client.query(beginSql(this.settings));
        return client;
      } catch (error) {
        this.serverFailed(error);
        const broken = brokenBy(client) ?? (sessionTerminated(error) ? (error as Error) : undefined);
        client.release(broken ?? (error as Error));
        if (!(broken && attempt < this.staleRetries())) throw translatePostgresError(error);
      }
    }
  }

  /** Every idle client may be stale after a server restart, so one retry per pool slot. */
  private staleRetries(): number {
    return (this.pool.options.max ?? 10) + 1;
  }
}

/** A connection of its own (not pooled), for work that needs one session throughout. */
export interface PostgresSession extends PostgresExecutor {
  /** The underlying client, for migration code written against pg; never to be ended directly. */
  readonly client: pg.ClientBase;
  /** BEGIN ... COMMIT on this session; ROLLBACK when `fn` throws. */
  transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T>;
  /** Runs `listener` once if the connection ends other than by `end()` (server restart, network loss). */
  onLost(listener: (error: Error) => void): void;
  /** Closes the connection; the server releases the session's advisory locks. Never throws. */
  end(): Promise<void>;
}

/** Opens a dedicated session with the store's settings and the given overrides. */
export async function openSession(options: PostgresOptions, overrides: pg.ClientConfig = {}): Promise<PostgresSession> {
  const selector = hostSelector(options);
  if (selector.active) await selector.ready();
  const client = new pg.Client(selector.configFor({ ...clientConfig(options), ...overrides }));
  watch(client);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw translatePostgresError(error);
  }
  let ending = false;
  let lost: Error | undefined;
  const lostListeners: ((error: Error) => void)[] = [];
  const markLost = (error: Error) => {
    if (ending || lost) return;
    lost = error;
    for (const listener of lostListeners) listener(error);
    client.end().catch(() => {});
  };
  client.on('error', markLost);
  client.on('end', () => markLost(brokenBy(client) ?? new Error('the connection ended')));
  return {
    client,
    async query(text, params) {
      try {
        return await client.query(text, utcParams(params));
      } catch (error) {
        throw translatePostgresError(error);
      }
    },
    async queryArrays(text, params) {
      try {
        return (await client.query({ text, values: utcParams(params), rowMode: 'array' })).rows as unknown as unknown[][];
      } catch (error) {
        throw translatePostgresError(error);
      }
    },
    async transaction(fn) {
      try {
        await client.query(beginSql(sessionSettings(options)));
      } catch (error) {
        throw translatePostgresError(error);
      }
      return commitOrRollback(client, fn);
    },
    onLost(listener) {
      if (lost) listener(lost);
      else lostListeners.push(listener);
    },
    async end() {
      ending = true;
      await client.end().catch(() => {});
    },
  };
}

/**
 * 0A000 "cached plan must not change result type": a prepared statement whose result
 * columns changed type since it was prepared (a migration by another process). Raised
 * before the statement runs.
 */
function cachedPlanChanged(error: unknown): boolean {
  return (error as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((error as Error).message ?? '');
}

/**
 * The server ended the session (restart, pg_terminate_backend) before or while running the
 * statement: it did not run, or was rolled back with its implicit transaction, so running
 * it again on a fresh connection is safe. An idle pooled client whose termination notice
 * has not been read yet fails its next statement this way.
 */
function sessionTerminated(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '57P01' || code === '57P02';
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** TLS handshake failures of Node that mean the configured trust does not match the server's certificate. */
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

/**
 * Why the server refused a connection for a reason that retrying cannot fix (the
 * settings are wrong), or null. The server's own messages name the user, database and
 * host, never the password.
 */
function configurationProblem(e: Error & { code?: string }): string | null {
  const message = e.message.split('\n')[0]!;
  switch (e.code) {
    case '28P01':
      return `wrong password, or no such role (${message})`;
    case '3D000':
      return `no such database (${message})`;
    case '28000':
      if (/^role .* does not exist/.test(message)) return `no such role (${message})`;
      if (/pg_hba\.conf rejects/.test(message)) return `the server's pg_hba.conf rejects connections for this host, user and database (${message})`;
      if (/no pg_hba\.conf entry/.test(message)) {
        // The server names the encryption of the attempt; without TLS, a hostssl-only rule is the likely miss.
        return /no encryption|SSL off/.test(message)
          ? `no line of the server's pg_hba.conf admits this host, user and database without TLS; if it admits them only over TLS, set ssl (${message})`
          : `no line of the server's pg_hba.conf admits this host, user and database (${message})`;
      }
      return `the server refused the login (${message})`;
    case '42501':
      return /permission denied for database/.test(message) ? `the role may not connect to this database (${message})` : null;
  }
  // A pooler passes the server's refusal on under its own code (08P01), or refuses itself.
  if (e.code === '08P01') {
    if (/^database ".*" does not exist/.test(message)) return `no such database (${message})`;
    if (/^password authentication failed|^SASL authentication failed|^no such user/.test(message)) return `wrong password, or no such role (${message})`;
  }
  if (/^unsupported startup parameter/.test(message)) {
    return `the connection pooler refuses a startup parameter (${message}); remove it from the URL, or list it in the pooler's ignore_startup_parameters`;
  }
  if (e.code && CERTIFICATE_CODES.has(e.code)) return `the server's TLS certificate is not trusted by the ssl settings (${message})`;
  if (/^The server does not support SSL connections/.test(message)) return 'ssl is set but the server does not accept TLS connections';
  if (/client password must be a (non-empty )?string|^Password must be a string/.test(message)) {
    return 'the server asks for a password and none is configured';
  }
  return null;
}

/**
 * SQLSTATE 23505/23503/23502/23514 become ConflictError/ForeignKeyError/ValidationError;
 * connections refused for a wrong setting (password, role, database, pg_hba.conf, TLS)
 * become ConfigError; lost or refused connections (class 08, 57P01-57P03, socket errors)
 * and timeouts become UnavailableError. Anything else passes through unchanged.
 */
export function translatePostgresError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof TeleclaudeError) return error;
  const e = error as Error & { code?: string; constraint?: string; column?: string; table?: string; detail?: string };
  const configuration = configurationProblem(e);
  if (configuration) return new ConfigError('database.postgresql', `cannot connect: ${configuration}`, { cause: error });
  switch (e.code) {
    case '23505':
      return new ConflictError(`unique constraint violated: ${e.constraint ?? ''} ${e.detail ?? ''}`.trim(), { cause: error });
    case '23503':
      return new ForeignKeyError(`foreign key violated: ${e.detail ?? e.constraint ?? 'the referenced row does not exist'}`, {
        cause: error,
      });
    case '23502':
      return new ValidationError(e.table && e.column ? `${e.table}.${e.column}` : (e.column ?? ''), 'must not be null', {
        cause: error,
      });
    case '23514':
      return new ValidationError(e.constraint ?? '', 'violates a check constraint', { cause: error });
    // 22021/22P05 (a NUL or an untranslatable character) and 54000 (a value past an engine
    // limit, e.g. tsvector size) are refused at the port boundary first; this covers writers below it.
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22021':
    case '22P05':
    case '54000':
      return new ValidationError('', e.message, { cause: error });
    case '57014':
      return new UnavailableError(`statement timed out: ${e.message}`, { cause: error });
    case '53100':
      // Nothing was written; the same write works once the server has space again.
      return new UnavailableError(`the server's disk is full: ${e.message}`, { cause: error });
    case '25006':
      // The server became a standby (failover); the next connection looks for the primary.
      return new UnavailableError(`database unavailable: the server is read-only now (${e.message})`, { cause: error });
    case '57P01':
    case '57P02':
    case '57P03':
    case '53300':
      return new UnavailableError(`database unavailable: ${e.message}`, { cause: error });
  }
  if ((e.code && (e.code.startsWith('08') || CONNECTION_CODES.has(e.code))) || isConnectionMessage(e.message)) {
    return new UnavailableError(`database unavailable: ${e.message}`, { cause: error });
  }
  return error;
}

function isConnectionMessage(message: string): boolean {
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Connection closed/i.test(
    message,
  );
}

/** Double-quotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
