import { hostname } from 'node:os';
import { ConfigError, InstanceLockedError, UnavailableError, type InstanceLockHolder } from '../../domain/errors.js';
import { describeHolder, type InstanceLock } from '../../ports/instance-lock.js';
import { pooledSession } from './postgres-session-settings.js';
import { openSession, type PostgresExecutor, type PostgresOptions, type PostgresSession } from './postgres-database.js';
import { POSTGRES_DEFAULTS } from './postgres-config.js';

/** The advisory key of one database and schema (the migration lock uses another prefix). */
const KEY = "hashtextextended('teleclaude:instance:' || current_database() || ':' || $1, 0)";

/** Holders of the key: pg_locks splits a bigint advisory key into classid (high half) and objid (low half). */
const HOLDER_SQL = `WITH k AS (SELECT ${KEY} AS key)
SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.client_hostname, a.backend_start
FROM k, pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid`;

/**
 * The instance lock of a PostgreSQL database and schema: `pg_try_advisory_lock` on a
 * dedicated connection (keepAlive on). The server releases a session advisory lock when
 * the session ends, so a crashed daemon never leaves a stale lock. When the connection
 * drops (server restart, network), the lock is gone: `signal` aborts and `onLost`
 * listeners run; `acquire()` takes it anew on a new connection.
 */
export class PostgresInstanceLock implements InstanceLock {
  readonly description: string;
  /** This lock has no fencing token. */
  readonly epoch = null;
  private session: PostgresSession | null = null;
  private controller = new AbortController();
  private readonly listeners = new Set<(reason: Error) => void>();
  private readonly schema: string;

  constructor(
    private readonly options: PostgresOptions,
    location: string,
  ) {
    this.schema = options.schema ?? POSTGRES_DEFAULTS.schema;
    this.description = `the advisory instance lock of ${location}`;
  }

  get held(): boolean {
    return this.session !== null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async acquire(): Promise<void> {
    if (this.session) return;
    const session = await this.connect(lockApplicationName(this.options.applicationName ?? POSTGRES_DEFAULTS.applicationName));
    let got: boolean;
    try {
      const pooled = await pooledSession(session.client);
      if (pooled) {
        throw new ConfigError(
          'database.postgresql.instanceLock',
          `"advisory" means nothing through a connection pooler: ${pooled}; set instanceLock: lease (the default)`,
        );
      }
      got = (await session.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${KEY}) AS got`, [this.schema])).rows[0]!.got;
    } catch (error) {
      await session.end();
      throw error;
    }
    if (!got) {
      const holder = await this.holderOn(session).catch(() => null);
      await session.end();
      throw new InstanceLockedError(`another process holds ${this.description}: ${describeHolder(holder ?? {})}`, holder ?? undefined);
    }
    const controller = new AbortController();
    session.onLost((cause) => {
      if (this.session !== session) return;
      this.session = null;
      const reason = new UnavailableError(`lost ${this.description}: ${cause.message}`, { cause });
      controller.abort(reason);
      for (const listener of this.listeners) listener(reason);
    });
    this.controller = controller;
    this.session = session;
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = null;
    // Ending the session releases its advisory locks; no unlock round trip is needed.
    if (session) await session.end();
  }

  onLost(listener: (reason: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async holder(): Promise<InstanceLockHolder | null> {
    const session = await this.connect(`${this.options.applicationName ?? POSTGRES_DEFAULTS.applicationName}-probe`);
    try {
      return await this.holderOn(session);
    } finally {
      await session.end();
    }
  }

  private connect(applicationName: string): Promise<PostgresSession> {
    return openSession(this.options, { application_name: applicationName, keepAlive: true });
  }

  private async holderOn(client: PostgresExecutor): Promise<InstanceLockHolder | null> {
    const { rows } = await client.query<{
      pid: number;
      application_name: string | null;
      client_addr: string | null;
      client_hostname: string | null;
      backend_start: Date | null;
    }>(HOLDER_SQL, [this.schema]);
    const row = rows[0];
    if (!row) return null;
    const holder: InstanceLockHolder = { backendPid: row.pid };
    if (row.application_name) {
      holder.applicationName = row.application_name;
      const own = /^(.*) pid (\d+) on (.+)$/.exec(row.application_name);
      if (own) Object.assign(holder, { applicationName: own[1], pid: Number(own[2]), host: own[3] });
    }
    if (row.client_addr || row.client_hostname) holder.clientAddress = row.client_hostname ?? row.client_addr ?? undefined;
    if (row.backend_start) holder.startedAt = row.backend_start;
    return holder;
  }
}

/** `teleclaude pid 123 on mac`, within PostgreSQL's 63-byte limit for application_name. */
function lockApplicationName(base: string): string {
  const suffix = ` pid ${process.pid} on ${hostname()}`;
  return (base.slice(0, Math.max(1, 63 - suffix.length)) + suffix).slice(0, 63);
}
