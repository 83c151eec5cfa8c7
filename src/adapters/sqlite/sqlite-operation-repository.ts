import { randomUUID } from 'node:crypto';
import { sqliteQueueStats } from './sqlite-queue-stats.js';
import type { QueueStats } from '../../domain/work-queue.js';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import {
  newOperation,
  operationFields,
  type Operation,
  type OperationCreateInput,
  type OperationProgress,
  type OperationState,
} from '../../domain/operation.js';
import type { Clock } from '../../ports/clock.js';
import type { OperationRepository } from '../../ports/operation-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(operationFields);
const ALL = codec.columnList;
const INSERT = `INSERT INTO operations (${ALL}) VALUES (${codec.placeholders})
  ON CONFLICT (kind, caller_session_id, client_request_id) WHERE client_request_id IS NOT NULL DO NOTHING
  RETURNING ${ALL}`;
const BY_REQUEST = `SELECT ${ALL} FROM operations WHERE kind = ? AND caller_session_id = ? AND client_request_id = ?`;
const GET = `SELECT ${ALL} FROM operations WHERE operation_id = ?`;
const MATCHING_NONTERMINAL = `SELECT ${ALL} FROM operations
  WHERE kind = ? AND caller_session_id = ? AND cwd IS ? AND slug IS ? AND state IN ('queued', 'running')
  ORDER BY created_at DESC, operation_id DESC LIMIT 1`;

/** A state transition: `set` applied only in one of the `from` states, returning the row. */
interface Transition {
  sql: string;
  from: readonly OperationState[];
}

function transition(from: readonly OperationState[], set: string): Transition {
  return { sql: `UPDATE operations SET ${set} WHERE operation_id = ? AND state IN (${from.map((s) => `'${s}'`).join(', ')}) RETURNING ${ALL}`, from };
}

const CLAIM = transition(['queued'], "state = 'running', attempt_count = attempt_count + 1, started_at = ?, heartbeat_at = ?, updated_at = ?");
const TOUCH = transition(['running'], 'heartbeat_at = ?, updated_at = ?');
const finish = (from: readonly OperationState[], to: OperationState, column?: string) =>
  transition(from, `state = '${to}', completed_at = ?, updated_at = ?${column ? `, ${column} = ?` : ''}`);
const COMPLETE = finish(['running'], 'completed', 'result_text');
const FAIL = finish(['queued', 'running'], 'failed', 'error_text');
const CANCEL = finish(['queued', 'running'], 'cancelled');
const PROGRESS = [
  ['phase', 'progress_phase'],
  ['decision', 'progress_decision'],
  ['reason', 'progress_reason'],
] as const;
/** updateProgress's transitions, one per set of fields given (made once per set). */
const progressTransitions = new Map<number, Transition>();

export class SqliteOperationRepository implements OperationRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  create(input: OperationCreateInput): Promise<Operation> {
    const parsed = input as Parameters<typeof newOperation>[0];
    const operation = newOperation(parsed, parsed.operationId ?? randomUUID(), this.clock.now());
    return this.db.run(() => {
      const row = this.db.prepareRaw(INSERT).get(codec.toParams(operation)) as unknown[] | undefined;
      if (row !== undefined) return codec.fromArray(row);
      return codec.fromArray(this.db.prepareRaw(BY_REQUEST).get(operation.kind, operation.callerSessionId, operation.clientRequestId) as unknown[]);
    });
  }

  get(operationId: string): Promise<Operation | null> {
    return this.one(GET, [operationId]);
  }

  getByRequest(kind: string, callerSessionId: string, clientRequestId: string): Promise<Operation | null> {
    return this.one(BY_REQUEST, [kind, callerSessionId, clientRequestId]);
  }

  findMatchingNonterminal(kind: string, callerSessionId: string, cwd: string | null, slug: string | null): Promise<Operation | null> {
    return this.one(MATCHING_NONTERMINAL, [kind, callerSessionId, cwd, slug]);
  }

  private one(sql: string, params: unknown[]): Promise<Operation | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(sql).get(params) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  claim(operationId: string): Promise<Operation> {
    const now = this.clock.now().getTime();
    return this.transition(operationId, CLAIM, [now, now, now]);
  }

  async touch(operationId: string): Promise<void> {
    const now = this.clock.now().getTime();
    await this.transition(operationId, TOUCH, [now, now]);
  }

  updateProgress(operationId: string, progress: OperationProgress): Promise<Operation> {
    const params: unknown[] = [];
    let shape = 0;
    for (let i = 0; i < PROGRESS.length; i++) {
      const value = progress[PROGRESS[i]![0]];
      if (value === undefined) continue;
      params.push(value);
      shape |= 1 << i;
    }
    params.push(this.clock.now().getTime());
    let progressTransition = progressTransitions.get(shape);
    if (progressTransition === undefined) {
      const set = PROGRESS.filter(([key]) => progress[key] !== undefined).map(([, column]) => `${column} = ?`);
      progressTransition = transition(['queued', 'running'], [...set, 'updated_at = ?'].join(', '));
      progressTransitions.set(shape, progressTransition);
    }
    return this.transition(operationId, progressTransition, params);
  }

  complete(operationId: string, resultText: string | null): Promise<Operation> {
    const now = this.clock.now().getTime();
    return this.transition(operationId, COMPLETE, [now, now, resultText]);
  }

  fail(operationId: string, errorText: string): Promise<Operation> {
    const now = this.clock.now().getTime();
    return this.transition(operationId, FAIL, [now, now, errorText]);
  }

  cancel(operationId: string): Promise<Operation> {
    const now = this.clock.now().getTime();
    return this.transition(operationId, CANCEL, [now, now]);
  }

  /** Applies `transition` (with its `params`); returns the updated row. */
  private transition(operationId: string, { sql, from }: Transition, params: unknown[]): Promise<Operation> {
    params.push(operationId);
    return this.db.run(() => {
      const row = this.db.prepareRaw(sql).get(params) as unknown[] | undefined;
      if (row !== undefined) return codec.fromArray(row);
      const state = this.db.prepare('SELECT state FROM operations WHERE operation_id = ?').pluck().get(operationId) as string | undefined;
      if (state === undefined) throw new NotFoundError('operation', operationId);
      throw new ConflictError(`operation ${operationId} is ${state}, expected ${from.join(' or ')}`);
    });
  }

  markNonterminalStale(): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.run(
      () =>
        this.db
          .prepare("UPDATE operations SET state = 'stale', completed_at = ?, updated_at = ? WHERE state IN ('queued', 'running')")
          .run(now, now).changes,
    );
  }

  expireStale(heartbeatCutoff: Date): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.run(
      () =>
        this.db
          .prepare(
            `UPDATE operations SET state = 'stale', completed_at = ?, updated_at = ?
             WHERE state = 'running' AND COALESCE(heartbeat_at, started_at, updated_at) < ?`,
          )
          .run(now, now, heartbeatCutoff.getTime()).changes,
    );
  }
  purge(olderThanMs: number): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    return this.db.run(
      () =>
        this.db
          .prepare("DELETE FROM operations WHERE state IN ('completed', 'failed', 'cancelled', 'stale') AND completed_at < ?")
          .run(cutoff).changes,
    );
  }

  stats(): Promise<QueueStats> {
    return sqliteQueueStats(this.db, 'operations', this.clock.now(), 0);
  }
}
