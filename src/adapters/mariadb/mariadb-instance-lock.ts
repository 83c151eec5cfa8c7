import { hostname } from 'node:os';
import { InstanceLockedError, UnavailableError, type InstanceLockHolder } from '../../domain/errors.js';
import { describeHolder, INSTANCE_LEASE_TABLE, type InstanceLock } from '../../ports/instance-lock.js';
import { MARIADB_DEFAULTS } from './mariadb-config.js';
import { openMariadbSession, quoteIdent, type MariadbExecutor, type MariadbOptions, type MariadbSession } from './mariadb-database.js';

/** The server-wide lock name of the current database (GET_LOCK names are at most 64 characters). */
const NAME = "CONCAT('tc_instance_', SHA1(DATABASE()))";
const TABLE = quoteIdent(INSTANCE_LEASE_TABLE);
/** How often the holding connection is probed, so that a silently dead one is noticed. */
const PING_MS = 5_000;

/**
 * The instance lock of a MariaDB database: `GET_LOCK` on a dedicated connection. The
 * server releases it when that connection ends, so a crashed daemon never leaves a stale
 * lock. The holder records who it is (pid, host, application, when) in `instance_lease`
 * (bookkeeping, like `schema_migrations`) with an epoch that grows with every
 * acquisition, which is this lock's fencing token. When the connection drops (server
 * restart, network, or a failed probe every 5 s), the lock is gone: `signal` aborts and
 * `onLost` listeners run; `acquire()` takes it anew on a new connection.
 */
export class MariadbInstanceLock implements InstanceLock {
  readonly description: string;
  private session: MariadbSession | null = null;
  private currentEpoch: number | null = null;
  private ping: ReturnType<typeof setInterval> | null = null;
  private controller = new AbortController();
  private readonly listeners = new Set<(reason: Error) => void>();

  constructor(
    private readonly options: MariadbOptions,
    location: string,
  ) {
    this.description = `the instance lock (GET_LOCK) of ${location}`;
  }

  get held(): boolean {
    return this.session !== null;
  }

  get epoch(): number | null {
    return this.session ? this.currentEpoch : null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async acquire(): Promise<void> {
    if (this.session) return;
    const session = await openMariadbSession(this.options, { statementTimeoutMs: 0 });
    let epoch: number;
    try {
      const got = (await session.query<{ got: number | null }>(`SELECT GET_LOCK(${NAME}, 0) AS got`)).rows[0]?.got;
      if (got !== 1) {
        const holder = await holderOn(session).catch(() => null);
        throw new InstanceLockedError(`another process holds ${this.description}: ${describeHolder(holder ?? {})}`, holder ?? undefined);
      }
      epoch = await this.record(session);
    } catch (error) {
      await session.end();
      throw error;
    }
    const controller = new AbortController();
    const lose = (cause: Error) => {
      if (this.session !== session) return;
      this.stop();
      void session.end();
      const reason = new UnavailableError(`lost ${this.description}: ${cause.message}`, { cause });
      controller.abort(reason);
      for (const listener of this.listeners) listener(reason);
    };
    session.onLost(lose);
    this.ping = setInterval(() => {
      session.query('SELECT 1').catch((error: unknown) => lose(error as Error));
    }, PING_MS);
    this.ping.unref();
    this.controller = controller;
    this.currentEpoch = epoch;
    this.session = session;
  }

  async release(): Promise<void> {
    const session = this.session;
    this.stop();
    if (!session) return;
    await session.query(`SELECT RELEASE_LOCK(${NAME})`).catch(() => {});
    // Ending the connection releases its locks anyway.
    await session.end();
  }

  onLost(listener: (reason: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async holder(): Promise<InstanceLockHolder | null> {
    const session = await openMariadbSession(this.options);
    try {
      return await holderOn(session);
    } finally {
      await session.end();
    }
  }

  private stop(): void {
    if (this.ping) clearInterval(this.ping);
    this.ping = null;
    this.session = null;
  }

  /** Writes who holds the lock now, the lock held; returns the new epoch. */
  private async record(session: MariadbSession): Promise<number> {
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         lock_name VARCHAR(64) NOT NULL PRIMARY KEY,
         epoch BIGINT NOT NULL,
         connection_id BIGINT NOT NULL,
         pid INT,
         host VARCHAR(255),
         application_name VARCHAR(255),
         acquired_at BIGINT NOT NULL
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin`,
    );
    const values = [process.pid, hostname(), this.options.applicationName ?? MARIADB_DEFAULTS.applicationName, Date.now()];
    await session.query(
      `INSERT INTO ${TABLE} (lock_name, epoch, connection_id, pid, host, application_name, acquired_at)
       VALUES (${NAME}, 1, CONNECTION_ID(), ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE epoch = epoch + 1, connection_id = VALUES(connection_id), pid = VALUES(pid), host = VALUES(host),
         application_name = VALUES(application_name), acquired_at = VALUES(acquired_at)`,
      values,
    );
    const { rows } = await session.query<{ epoch: number }>(`SELECT epoch FROM ${TABLE} WHERE lock_name = ${NAME}`);
    return Number(rows[0]!.epoch);
  }
}

/** Who holds the lock: its connection (IS_USED_LOCK) and what that holder recorded, or null when free. */
async function holderOn(db: MariadbExecutor): Promise<InstanceLockHolder | null> {
  const { rows } = await db.query<{ id: number | null }>(`SELECT IS_USED_LOCK(${NAME}) AS id`);
  const id = rows[0]?.id;
  if (id === null || id === undefined) return null;
  const holder: InstanceLockHolder = { backendPid: Number(id) };
  const { rows: process } = await db.query<{ host: string | null }>('SELECT host FROM information_schema.processlist WHERE id = ?', [id]);
  if (process[0]?.host) holder.clientAddress = process[0].host;
  const { rows: table } = await db.query('SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [INSTANCE_LEASE_TABLE]);
  if (table.length === 0) return holder;
  const { rows: recorded } = await db.query<{ epoch: number; connection_id: number; pid: number | null; host: string | null; application_name: string | null; acquired_at: number }>(
    `SELECT epoch, connection_id, pid, host, application_name, acquired_at FROM ${TABLE} WHERE lock_name = ${NAME}`,
  );
  const row = recorded[0];
  // A record of an earlier holder (the new one has not written its own yet) says nothing of this one.
  if (!row || Number(row.connection_id) !== Number(id)) return holder;
  if (row.pid !== null) holder.pid = Number(row.pid);
  if (row.host) holder.host = row.host;
  if (row.application_name) holder.applicationName = row.application_name;
  holder.startedAt = new Date(Number(row.acquired_at));
  holder.epoch = Number(row.epoch);
  return holder;
}
