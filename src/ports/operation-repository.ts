import { z } from 'zod';
import { OperationCreateInput, OperationProgress, type Operation } from '../domain/operation.js';
import { DateInput, DurationMs, Id } from '../domain/validation.js';
import type { QueueStats } from '../domain/work-queue.js';
import type { InputSchemas } from './validation.js';

/**
 * Long-running operations. States: queued -> running -> completed | failed, and
 * queued/running -> cancelled | stale (final). Mutations of a missing id throw
 * `NotFoundError`; a transition the current state does not allow throws `ConflictError`.
 */
export interface OperationRepository {
  /**
   * Inserts a queued operation (createdAt = updatedAt = now, attemptCount 0). Idempotent
   * on (kind, callerSessionId, clientRequestId) when clientRequestId is given: a repeat
   * returns the existing operation unchanged, also under concurrent creates. Throws
   * `ConflictError` when an explicit operationId exists.
   */
  create(input: OperationCreateInput): Promise<Operation>;
  /** The operation; `null` when there is none. */
  get(operationId: string): Promise<Operation | null>;
  /** The operation created for this request key; `null` when there is none. */
  getByRequest(kind: string, callerSessionId: string, clientRequestId: string): Promise<Operation | null>;
  /**
   * The newest (createdAt, then id) queued or running operation with this kind and caller
   * whose cwd and slug equal the given ones (null matches null); `null` when none.
   */
  findMatchingNonterminal(kind: string, callerSessionId: string, cwd: string | null, slug: string | null): Promise<Operation | null>;
  /**
   * queued -> running in one statement: attemptCount + 1, startedAt = heartbeatAt = now.
   * Of concurrent claims exactly one succeeds; any later claim throws `ConflictError`.
   */
  claim(operationId: string): Promise<Operation>;
  /** Heartbeat of a running operation: heartbeatAt = updatedAt = now. `ConflictError` unless running. */
  touch(operationId: string): Promise<void>;
  /** Writes the given progress fields of a queued or running operation; updatedAt = now. */
  updateProgress(operationId: string, progress: OperationProgress): Promise<Operation>;
  /** running -> completed with the result; completedAt = now. */
  complete(operationId: string, resultText: string | null): Promise<Operation>;
  /** queued or running -> failed with the error; completedAt = now. */
  fail(operationId: string, errorText: string): Promise<Operation>;
  /** queued or running -> cancelled; completedAt = now. */
  cancel(operationId: string): Promise<Operation>;
  /** At daemon start: every queued or running operation -> stale (completedAt = now); returns how many. */
  markNonterminalStale(): Promise<number>;
  /**
   * Running operations whose last heartbeat (or start, when none) is before
   * `heartbeatCutoff` -> stale; returns how many.
   */
  expireStale(heartbeatCutoff: Date): Promise<number>;
  /** Retention: deletes completed, failed, cancelled and stale operations finished more than `olderThanMs` ago; returns how many. */
  purge(olderThanMs: number): Promise<number>;
  /**
   * Counts of the operations now (see `QueueStats`): ready = queued, inFlight = running,
   * scheduled 0, failed = failed operations, dead = stale ones, oldestReadyAgeMs from the
   * oldest queued operation's createdAt. Reads only.
   */
  stats(): Promise<QueueStats>;
}

const NonEmpty = z.string().min(1, 'must not be empty');

export const operationRepositoryInputs: InputSchemas<OperationRepository> = {
  create: [['', OperationCreateInput]],
  get: [['operationId', Id]],
  getByRequest: [
    ['kind', NonEmpty],
    ['callerSessionId', NonEmpty],
    ['clientRequestId', NonEmpty],
  ],
  findMatchingNonterminal: [
    ['kind', NonEmpty],
    ['callerSessionId', NonEmpty],
    ['cwd', z.string().nullable()],
    ['slug', z.string().nullable()],
  ],
  claim: [['operationId', Id]],
  touch: [['operationId', Id]],
  updateProgress: [
    ['operationId', Id],
    ['progress', OperationProgress],
  ],
  complete: [
    ['operationId', Id],
    ['resultText', z.string().nullable()],
  ],
  fail: [
    ['operationId', Id],
    ['errorText', z.string()],
  ],
  cancel: [['operationId', Id]],
  markNonterminalStale: [],
  expireStale: [['heartbeatCutoff', DateInput]],
  purge: [['olderThanMs', DurationMs]],
  stats: [],
};
