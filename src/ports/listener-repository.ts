import { ListenerSessionId, TmuxSessionName, type Listener } from '../domain/listener.js';
import { DurationMs } from '../domain/validation.js';
import type { InputSchemas } from './validation.js';

/**
 * Who waits for whom: one row per (target, caller) pair. Listings are ordered by
 * registeredAt, then caller, then target (byte order).
 */
export interface ListenerRepository {
  /**
   * Registers `caller` as listening to `target` in one atomic upsert (registeredAt = now,
   * callerTmuxSession refreshed). Returns true when the pair is new, false when it existed.
   */
  register(targetSessionId: string, callerSessionId: string, callerTmuxSession: string): Promise<boolean>;
  /** Removes one pair; returns whether it existed. */
  unregister(targetSessionId: string, callerSessionId: string): Promise<boolean>;
  /** Everyone listening to `target`. */
  listForTarget(targetSessionId: string): Promise<Listener[]>;
  /** Every target `caller` listens to. */
  listForCaller(callerSessionId: string): Promise<Listener[]>;
  /**
   * Removes and returns everyone listening to `target` in ONE statement, so two concurrent
   * pops never both return (notify) the same listener.
   */
  popForTarget(targetSessionId: string): Promise<Listener[]>;
  /** Removes every pair where `caller` listens; returns how many. */
  removeForCaller(callerSessionId: string): Promise<number>;
  /** Every pair (the daemon's `get_all_listeners`, for monitoring and the restart notice). */
  listAll(): Promise<Listener[]>;
  /** Number of pairs. */
  count(): Promise<number>;
  /**
   * The distinct targets (sorted, byte order) with at least one listener registered more than
   * `maxAgeMs` ago (registeredAt < now - maxAgeMs): the daemon's periodic health check of
   * sessions someone has waited on too long. Reads only: the caller resets each target's
   * timestamps with `resetTimestamps(target)` so the next check does not report it again.
   */
  staleTargets(maxAgeMs: number): Promise<string[]>;
  /**
   * Sets registeredAt = now on the pairs of `targetSessionId` (after its health check), or on
   * every pair when no target is given (after a daemon restart); returns how many.
   */
  resetTimestamps(targetSessionId?: string): Promise<number>;
}

export const listenerRepositoryInputs: InputSchemas<ListenerRepository> = {
  register: [
    ['targetSessionId', ListenerSessionId],
    ['callerSessionId', ListenerSessionId],
    ['callerTmuxSession', TmuxSessionName],
  ],
  unregister: [
    ['targetSessionId', ListenerSessionId],
    ['callerSessionId', ListenerSessionId],
  ],
  listForTarget: [['targetSessionId', ListenerSessionId]],
  listForCaller: [['callerSessionId', ListenerSessionId]],
  popForTarget: [['targetSessionId', ListenerSessionId]],
  removeForCaller: [['callerSessionId', ListenerSessionId]],
  listAll: [],
  count: [],
  staleTargets: [['maxAgeMs', DurationMs]],
  resetTimestamps: [['targetSessionId', ListenerSessionId.optional()]],
};
