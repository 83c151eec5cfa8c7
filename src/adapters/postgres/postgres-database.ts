import pg from 'pg';
import { ConflictError, ForeignKeyError, UnavailableError, ValidationError } from '../../domain/errors.js';
import { beginSql, SessionSettler, type SessionSettings } from './postgres-session-settings.js';

export interface PostgresOptions {
  /** A connection string, or the parts below. */
  url?: string;
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
}

/** Runs parameterised SQL on a pool (one statement, any connection) or on one transaction's client. */
export interface PostgresExecutor {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Type parsers of this package: int8 (counts, identities) as a JS number instead of a string. */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** The per-transaction settings of these options (see postgres-session-settings.ts). */
export function sessionSettings(options: PostgresOptions): SessionSettings {
  return { schema: options.schema ?? 'public', statementTimeoutMs: options.statementTimeoutMs ?? 30_000 };
}

/**
 * pg client settings for these options (shared by the pool, the lock client and
 * migrations). Only what every pooler passes on goes into the startup packet; schema and
 * statement timeout travel with each transaction (`sessionSettings`).
 */
export function clientConfig(options: PostgresOptions): pg.ClientConfig {
  // A URL is complete on its own; the separate parts apply only without one.
  const target = options.url
    ? { connectionString: options.url }
    : { host: options.host, port: options.port, database: options.database, user: options.user, password: options.password };
  return {
    ...target,
    ssl: options.ssl,
    types: pgTypes,
    keepAlive: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'teleclaude',
  };
}

/** A new pool with an 'error' listener: an idle client dropped by the server must not crash the process. */
export function createPool(options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    ...clientConfig(options),
    min: options.pool?.min ?? 0,
    max: options.pool?.max ?? 10,
    idleTimeoutMillis: options.pool?.idleTimeoutMs ?? 30_000,
  });
  pool.on('error', () => {
    // An idle client lost its connection (server restart, network). The pool drops it
    // and the next query opens a new one; nothing else needs to happen here.
  });
  return pool;
}

/** A pool for these options with their session settings. */
export function createDatabase(options: PostgresOptions): PostgresDatabase {
  return new PostgresDatabase(createPool(options), sessionSettings(options));
}

/** The pool of a store: owns checkout, transactions and release, and translates errors. */
export class PostgresDatabase implements PostgresExecutor {
  readonly sessions: SessionSettler;

  constructor(
    readonly pool: pg.Pool,
    readonly settings: SessionSettings = { schema: 'public', statementTimeoutMs: 30_000 },
  ) {
    this.sessions = new SessionSettler(pool, settings);
  }

  async query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.run<R>({ text, values: params });
  }

  /** Like `query`, with each row as an array of column values. */
  async queryArrays(text: string, params?: unknown[]): Promise<unknown[][]> {
    return (await this.run({ text, values: params, rowMode: 'array' })).rows as unknown as unknown[][];
  }

  private async run<R extends pg.QueryResultRow>(config: pg.QueryConfig | pg.QueryArrayConfig): Promise<pg.QueryResult<R>> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw translatePostgresError(error);
      }
      let broken: Error | undefined;
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        return await this.sessions.query<R>(client, config);
      } catch (error) {
        if (!(error instanceof pg.DatabaseError) || sessionTerminated(error)) broken ??= error as Error;
        // A terminated session is dropped below, so the retry takes another connection.
        if (!(sessionTerminated(error) && attempt < this.staleRetries())) throw translatePostgresError(error);
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    }
  }

  /** BEGIN ... COMMIT on one checked-out client; ROLLBACK when `fn` throws. The client is released once. */
  async transaction<T>(fn: (executor: PostgresExecutor) => Promise<T>): Promise<T> {
    const client = await this.begin();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    let finished = false;
    const executor: PostgresExecutor = {
      async query(text, params) {
        if (finished) throw new TypeError('transaction repositories used after the transaction ended');
        try {
          return await client.query(text, params);
        } catch (error) {
          throw translatePostgresError(error);
        }
      },
    };
    try {
      const result = await fn(executor);
      await executor.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken ??= rollbackError as Error;
      }
      throw error;
    } finally {
      finished = true;
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** A checked-out client inside BEGIN, skipping pooled clients whose session the server has ended. */
  private async begin(): Promise<pg.PoolClient> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw translatePostgresError(error);
      }
      try {
        await client.query(beginSql(this.settings));
        return client;
      } catch (error) {
        client.release(error as Error);
        if (!(sessionTerminated(error) && attempt < this.staleRetries())) throw translatePostgresError(error);
      }
    }
  }

  /** Every idle client may be stale after a server restart, so one retry per pool slot. */
  private staleRetries(): number {
    return (this.pool.options.max ?? 10) + 1;
  }
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

/**
 * SQLSTATE 23505/23503/23502/23514 become ConflictError/ForeignKeyError/ValidationError;
 * lost or refused connections (class 08, 57P01-57P03, socket errors) and timeouts become
 * UnavailableError. Anything else passes through unchanged.
 */
export function translatePostgresError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Error & { code?: string; constraint?: string; column?: string; table?: string; detail?: string };
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
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
      return new ValidationError('', e.message, { cause: error });
    case '57014':
      return new UnavailableError(`statement timed out: ${e.message}`, { cause: error });
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
