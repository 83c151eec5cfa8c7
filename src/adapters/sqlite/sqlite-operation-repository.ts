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
const INSERT = `INSERT INTO operations (${ALL}) VALUES (${ALL.split(', ').map(() => '?').join(', ')})
  ON CONFLICT (kind, caller_session_id, client_request_id) WHERE client_request_id IS NOT NULL DO NOTHING
  RETURNING ${ALL}`;
const BY_REQUEST = `SELECT ${ALL} FROM operations WHERE kind = ? AND caller_session_id = ? AND client_request_id = ?`;
type Row = Record<string, unknown>;

export class SqliteOperationRepository implements OperationRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  create(input: OperationCreateInput): Promise<Operation> {
    const parsed = input as Parameters<typeof newOperation>[0];
    const operation = newOperation(parsed, parsed.operationId ?? randomUUID(), this.clock.now());
    return this.db.run(() => {
      const row = this.db.prepare(INSERT).get(codec.toRow(operation).params);
      if (row) return codec.fromRow(row as Row);
      return codec.fromRow(this.db.prepare(BY_REQUEST).get(operation.kind, operation.callerSessionId, operation.clientRequestId) as Row);
    });
  }

  get(operationId: string): Promise<Operation | null> {
    return this.one(`SELECT ${ALL} FROM operations WHERE operation_id = ?`, [operationId]);
  }

  getByRequest(kind: string, callerSessionId: string, clientRequestId: string): Promise<Operation | null> {
    return this.one(BY_REQUEST, [kind, callerSessionId, clientRequestId]);
  }

  findMatchingNonterminal(kind: string, callerSessionId: string, cwd: string | null, slug: string | null): Promise<Operation | null> {
    return this.one(
      `SELECT ${ALL} FROM operations
       WHERE kind = ? AND caller_session_id = ? AND cwd IS ? AND slug IS ? AND state IN ('queued', 'running')
       ORDER BY created_at DESC, operation_id DESC LIMIT 1`,
      [kind, callerSessionId, cwd, slug],
    );
  }

  private one(sql: string, params: unknown[]): Promise<Operation | null> {
    return this.db.run(() => {
      const row = this.db.prepare(sql).get(params);
      return row ? codec.fromRow(row as Row) : null;
    });
  }

  claim(operationId: string): Promise<Operation> {
    const now = this.clock.now().getTime();
    return this.transition(operationId, ['queued'], 'state = ?, attempt_count = attempt_count + 1, started_at = ?, heartbeat_at = ?, updated_at = ?', [
      'running',
      now,
      now,
      now,
    ]);
  }

  async touch(operationId: string): Promise<void> {
    const now = this.clock.now().getTime();
    await this.transition(operationId, ['running'], 'heartbeat_at = ?, updated_at = ?', [now, now]);
  }

  updateProgress(operationId: string, progress: OperationProgress): Promise<Operation> {
    const set: string[] = [];
    const params: unknown[] = [];
    for (const [key, column] of [
      ['phase', 'progress_phase'],
      ['decision', 'progress_decision'],
      ['reason', 'progress_reason'],
    ] as const) {
      if (progress[key] === undefined) continue;
      set.push(`${column} = ?`);
      params.push(progress[key]);
    }
    set.push('updated_at = ?');
    params.push(this.clock.now().getTime());
    return this.transition(operationId, ['queued', 'running'], set.join(', '), params);
  }

  complete(operationId: string, resultText: string | null): Promise<Operation> {
    return this.finish(operationId, ['running'], 'completed', 'result_text', resultText);
  }

  fail(operationId: string, errorText: string): Promise<Operation> {
    return this.finish(operationId, ['queued', 'running'], 'failed', 'error_text', errorText);
  }

  cancel(operationId: string): Promise<Operation> {
    return this.finish(operationId, ['queued', 'running'], 'cancelled');
  }

  private finish(operationId: string, from: OperationState[], to: OperationState, column?: string, text?: string | null): Promise<Operation> {
    const now = this.clock.now().getTime();
    const extra = column ? `, ${column} = ?` : '';
    return this.transition(operationId, from, `state = ?, completed_at = ?, updated_at = ?${extra}`, [to, now, now, ...(column ? [text] : [])]);
  }

  /** Applies `set` only when the operation is in one of the `from` states; returns the updated row. */
  private transition(operationId: string, from: OperationState[], set: string, params: unknown[]): Promise<Operation> {
    const states = from.map(() => '?').join(', ');
    return this.db.run(() => {
      const row = this.db
        .prepare(`UPDATE operations SET ${set} WHERE operation_id = ? AND state IN (${states}) RETURNING ${ALL}`)
        .get(...params, operationId, ...from);
      if (row) return codec.fromRow(row as Row);
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
