import type { InstanceLockHolder } from '../domain/errors.js';

/**
 * The single-instance lock of one database: at most one daemon holds it at a time.
 * SQLite: an OS-level file lock next to the database file, released by the OS when
 * the holder dies. PostgreSQL (default): a lease row in `instance_lease` with an expiry
 * on the server's clock, renewed by the holder, free once a dead holder's lease runs out;
 * or (`instanceLock: advisory`, direct connections only) a session advisory lock on a
 * dedicated connection, released by the server when that connection ends.
 */
export interface InstanceLock {
  /** What is locked, for humans (a file path, or the advisory key and masked URL). */
  readonly description: string;
  /** True from a successful `acquire` until `release` or a loss. */
  readonly held: boolean;
  /**
   * Takes the lock without waiting. Throws `InstanceLockedError` (TC_INSTANCE_LOCKED)
   * naming the holder where the engine can tell it, `UnavailableError` when the
   * database cannot be reached. Resolves at once when this object already holds the
   * lock; after a loss it acquires anew (with a fresh `signal`).
   */
  acquire(): Promise<void>;
  /** Gives the lock up. Idempotent; a no-op when it is not held. */
  release(): Promise<void>;
  /**
   * The fencing token of the current acquisition: grows with every acquisition of the
   * lock by anyone, so work stamped with it can be refused once a newer holder exists.
   * `null` when not held, and always with a lock that has none (SQLite's file lock,
   * PostgreSQL's advisory lock).
   */
  readonly epoch: number | null;
  /**
   * Aborted, with an `UnavailableError` as its reason, when a held lock is lost (PostgreSQL:
   * a lease renewal failed, or the connection that holds it dropped). Each acquisition
   * gets a new signal; `release` does not abort it.
   */
  readonly signal: AbortSignal;
  /** Calls `listener` whenever a held lock is lost. Returns a function that unsubscribes. */
  onLost(listener: (reason: Error) => void): () => void;
  /**
   * Who holds the lock right now (this process included), or `null` when it is free.
   * Takes nothing that a concurrent `acquire` could trip over for longer than a probe.
   */
  holder(): Promise<InstanceLockHolder | null>;
}

/**
 * The table of the PostgreSQL lease lock in the database's schema. Bookkeeping like
 * `schema_migrations`: not data, so never inspected, copied or reported as ignored.
 */
export const INSTANCE_LEASE_TABLE = 'instance_lease';

/** A readable one-line description of a holder: `pid 123 on host "mac", since 2026-03-15T12:00:00.000Z`. */
export function describeHolder(holder: InstanceLockHolder): string {
  const parts: string[] = [];
  if (holder.applicationName) parts.push(JSON.stringify(holder.applicationName));
  if (holder.pid !== undefined) parts.push(`pid ${holder.pid}`);
  if (holder.host) parts.push(`on host ${JSON.stringify(holder.host)}`);
  if (holder.clientAddress) parts.push(`from ${holder.clientAddress}`);
  if (holder.backendPid !== undefined) parts.push(`(server backend ${holder.backendPid})`);
  if (holder.startedAt) parts.push(`since ${holder.startedAt.toISOString()}`);
  if (holder.expiresAt) parts.push(`until ${holder.expiresAt.toISOString()} unless renewed`);
  if (holder.epoch !== undefined) parts.push(`(epoch ${holder.epoch})`);
  return parts.length > 0 ? parts.join(' ') : 'an unknown process';
}
