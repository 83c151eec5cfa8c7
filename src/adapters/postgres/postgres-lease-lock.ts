import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { InstanceLockedError, UnavailableError, type InstanceLockHolder } from '../../domain/errors.js';
import { describeHolder, INSTANCE_LEASE_TABLE as LEASE_TABLE, type InstanceLock } from '../../ports/instance-lock.js';
import { createDatabase, openSession, quoteIdent, type PostgresDatabase, type PostgresOptions, type PostgresSession } from './postgres-database.js';
import { pooledSession } from './postgres-session-settings.js';
import { POSTGRES_DEFAULTS } from './postgres-config.js';

const NAME = 'daemon';

/** The holder's witness session: its server process and start. */
// As text: a JS Date would drop the microseconds the comparison needs.
const WITNESS_SQL = 'SELECT pid, backend_start::text AS start FROM pg_stat_activity WHERE pid = pg_backend_pid()';

/**
 * The holder's witness session has ended. backend_start is hidden (null) for sessions of
 * other roles; the pid alone then decides.
 */
const WITNESS_GONE = `l.session_pid IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.session_pid AND (a.backend_start IS NULL OR a.backend_start = l.session_start))`;

interface LeaseRow {
  epoch: number;
  pid: number | null;
  host: string | null;
  application_name: string | null;
  acquired_at: Date;
  expires_at: Date;
}

/**
 * The instance lock of a PostgreSQL database and schema as a lease: one row in
 * `instance_lease` naming its holder, with an expiry on the server's clock that the
 * holder renews every third of the lease. It holds through transaction-mode poolers and
 * across a failover to a synchronous standby (the row is data, replicated like any
 * other), where a session advisory lock means nothing or vanishes.
 *
 * - Taking it is one statement (`INSERT ... ON CONFLICT DO UPDATE ... WHERE` the lease is
 *   free or expired), so of any number of simultaneous starts exactly one wins.
 * - Every acquisition increments `epoch`, the fencing token (`epoch` of this object).
 * - A holder that dies stops renewing; its lease is free once `expires_at` passes. On a
 *   direct connection the holder also keeps a witness session open and records it in the
 *   row: once that session is gone from pg_stat_activity (crash, server restart) the lease
 *   is free at once, and its loss fires `onLost` in the holder.
 * - A renewal that fails (the server is unreachable, or the row no longer names this
 *   holder) ends the lock here at once: `signal` aborts and `onLost` listeners run.
 *   `acquire()` takes it anew; a lease still naming this object is taken back at once.
 */
export class PostgresLeaseLock implements InstanceLock {
  readonly description: string;
  /** Open while the lock is held (for the heartbeat); other calls use a connection of their own. */
  private database: PostgresDatabase | null = null;
  private readonly owner = randomUUID();
  private readonly listeners = new Set<(reason: Error) => void>();
  private controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private current: number | null = null;
  private session: PostgresSession | null = null;
  private readonly leaseMs: number;

  constructor(
    private readonly options: PostgresOptions,
    location: string,
  ) {
    this.leaseMs = options.instanceLockLeaseMs ?? POSTGRES_DEFAULTS.instanceLockLeaseMs;
    this.description = `the instance lease of ${location} (schema ${options.schema ?? POSTGRES_DEFAULTS.schema})`;
  }

  get held(): boolean {
    return this.current !== null;
  }

  /** The fencing token of the current acquisition, or null when not held. */
  get epoch(): number | null {
    return this.current;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async acquire(): Promise<void> {
    if (this.current !== null) return;
    this.database ??= createDatabase({ ...this.options, pool: { max: 1, idleTimeoutMs: 2 * this.leaseMs } });
    const database = this.database;
    let rows: { epoch: number }[];
    let session: PostgresSession | null = null;
    try {
      await ensureTable(database);
      session = await this.openWitness();
      const witness = session ? (await session.query<{ pid: number; start: string }>(WITNESS_SQL)).rows[0]! : null;
      for (let attempt = 0; ; attempt++) {
        ({ rows } = await database.query<{ epoch: number }>(
          `INSERT INTO ${LEASE_TABLE} AS l (name, owner, epoch, pid, host, application_name, acquired_at, renewed_at, expires_at, session_pid, session_start)
           VALUES ($1, $2, 1, $3, $4, $5, clock_timestamp(), clock_timestamp(), clock_timestamp() + $6 * interval '1 millisecond', $7, $8::timestamptz)
           ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, epoch = l.epoch + 1, pid = EXCLUDED.pid, host = EXCLUDED.host,
             application_name = EXCLUDED.application_name, acquired_at = EXCLUDED.acquired_at,
             renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at,
             session_pid = EXCLUDED.session_pid, session_start = EXCLUDED.session_start
           WHERE l.owner IS NULL OR l.owner = EXCLUDED.owner OR l.expires_at <= clock_timestamp() OR (${WITNESS_GONE})
           RETURNING epoch`,
          [NAME, this.owner, process.pid, hostname(), this.options.applicationName ?? POSTGRES_DEFAULTS.applicationName, this.leaseMs, witness?.pid ?? null, witness?.start ?? null],
        ));
        // A holder killed a moment ago may still be listed while its server process exits.
        if (rows.length > 0 || attempt >= 5 || !(await witnessed(database))) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch (error) {
      await session?.end();
      await this.closeDatabase();
      throw error;
    }
    if (rows.length === 0) {
      const holder = await holderOn(database).catch(() => null);
      await session?.end();
      await this.closeDatabase();
      throw new InstanceLockedError(`another process holds ${this.description}: ${describeHolder(holder ?? {})}`, holder ?? undefined);
    }
    this.current = rows[0]!.epoch;
    this.controller = new AbortController();
    this.session = session;
    const epoch = this.current;
    session?.onLost((cause) => {
      if (this.current === epoch) this.lost(new UnavailableError(`lost ${this.description}: its session ended (${cause.message})`, { cause }));
    });
    const every = Math.max(100, Math.floor(this.leaseMs / 3));
    // The daemon's own work keeps the process alive; the heartbeat alone must not.
    this.timer = setInterval(() => void this.renew(), every).unref();
  }

  async release(): Promise<void> {
    const epoch = this.current;
    const session = this.session;
    this.stop();
    try {
      if (epoch !== null && this.database) {
        await this.database.query(
          `UPDATE ${LEASE_TABLE} SET owner = NULL, expires_at = clock_timestamp() WHERE name = $1 AND owner = $2 AND epoch = $3`,
          [NAME, this.owner, epoch],
        );
      }
    } catch {
      // Unreachable: the lease runs out on its own.
    } finally {
      await session?.end();
      await this.closeDatabase();
    }
  }

  onLost(listener: (reason: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async holder(): Promise<InstanceLockHolder | null> {
    if (this.database) return holderOn(this.database);
    const database = createDatabase({ ...this.options, pool: { max: 1 } });
    try {
      return await holderOn(database);
    } finally {
      await database.close().catch(() => {});
    }
  }

  private async renew(): Promise<void> {
    const epoch = this.current;
    const database = this.database;
    if (epoch === null || !database) return;
    let reason: string;
    try {
      const { rowCount } = await database.query(
        `UPDATE ${LEASE_TABLE} SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $4 * interval '1 millisecond'
         WHERE name = $1 AND owner = $2 AND epoch = $3 AND expires_at > clock_timestamp()`,
        [NAME, this.owner, epoch, this.leaseMs],
      );
      if (rowCount === 1 || this.current !== epoch) return;
      reason = 'the lease expired or another process took it';
    } catch (error) {
      if (this.current !== epoch) return;
      reason = `renewing it failed: ${(error as Error).message}`;
    }
    this.lost(new UnavailableError(`lost ${this.description}: ${reason}`));
  }

  private lost(reason: Error): void {
    const controller = this.controller;
    this.stop();
    controller.abort(reason);
    for (const listener of this.listeners) listener(reason);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.current = null;
    const session = this.session;
    this.session = null;
    void session?.end();
  }

  /**
   * On a connection that is a server session of its own, a session kept open while the
   * lock is held: contenders see it in pg_stat_activity, and once it is gone (the holder
   * crashed, or a restart ended it) they need not wait for the lease to run out. Through
   * a pooler there is no such session to point at, and the lease alone counts.
   */
  private async openWitness(): Promise<PostgresSession | null> {
    const session = await openSession(this.options, { application_name: `${this.options.applicationName ?? POSTGRES_DEFAULTS.applicationName}-lease`, keepAlive: true });
    try {
      if (!(await pooledSession(session.client))) return session;
    } catch (error) {
      await session.end();
      throw error;
    }
    await session.end();
    return null;
  }

  private async closeDatabase(): Promise<void> {
    const database = this.database;
    this.database = null;
    await database?.close().catch(() => {});
  }
}

/** Whether the live lease has a witness session (its holder connected directly). */
async function witnessed(database: PostgresDatabase): Promise<boolean> {
  const { rows } = await database.query(
    `SELECT 1 FROM ${LEASE_TABLE} WHERE name = $1 AND owner IS NOT NULL AND expires_at > clock_timestamp() AND session_pid IS NOT NULL`,
    [NAME],
  );
  return rows.length > 0;
}

async function holderOn(database: PostgresDatabase): Promise<InstanceLockHolder | null> {
  const exists = await database.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [LEASE_TABLE]);
  if (!exists.rows[0]?.t) return null;
  const { rows } = await database.query<LeaseRow>(
    `SELECT epoch, pid, host, application_name, acquired_at, expires_at FROM ${LEASE_TABLE}
     WHERE name = $1 AND owner IS NOT NULL AND expires_at > clock_timestamp()`,
    [NAME],
  );
  const row = rows[0];
  if (!row) return null;
  const holder: InstanceLockHolder = { startedAt: row.acquired_at, expiresAt: row.expires_at, epoch: row.epoch };
  if (row.pid !== null) holder.pid = row.pid;
  if (row.host !== null) holder.host = row.host;
  if (row.application_name !== null) holder.applicationName = row.application_name;
  return holder;
}

/**
 * The lease table (and the schema) on first use, under a transaction-scoped advisory
 * lock so that simultaneous first starts do not trip over each other's CREATE.
 */
async function ensureTable(database: PostgresDatabase): Promise<void> {
  const exists = await database.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [LEASE_TABLE]);
  if (exists.rows[0]?.t) return;
  const schema = quoteIdent(database.settings.schema);
  await database.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('teleclaude:instance_lease:' || current_database()))");
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.${LEASE_TABLE} (
      name text PRIMARY KEY,
      owner uuid,
      epoch bigint NOT NULL,
      pid integer,
      host text,
      application_name text,
      acquired_at timestamptz NOT NULL,
      renewed_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      session_pid integer,
      session_start timestamptz
    )`);
  });
}
