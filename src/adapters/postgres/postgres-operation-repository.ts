import { randomUUID } from 'node:crypto';
import { postgresQueueStats } from './postgres-queue-stats.js';
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
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { guardedUpdate } from './postgres-guarded-update.js';

const codec = new PostgresCodec(operationFields);
const ALL = codec.columnList;
const COUNT = ALL.split(', ').length;
// A repeated request key inserts nothing; the second branch then returns the existing row.
const CREATE = `WITH inserted AS (
    INSERT INTO operations (${ALL}) VALUES (${ALL.split(', ').map((_, i) => `$${i + 1}`).join(', ')})
    ON CONFLICT (kind, caller_session_id, client_request_id) WHERE client_request_id IS NOT NULL DO NOTHING
    RETURNING ${ALL})
  SELECT ${ALL} FROM inserted
  UNION ALL
  SELECT ${ALL} FROM operations
  WHERE kind = $${COUNT + 1} AND caller_session_id = $${COUNT + 2} AND client_request_id = $${COUNT + 3}
    AND NOT EXISTS (SELECT 1 FROM inserted)`;

export class PostgresOperationRepository implements OperationRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async create(input: OperationCreateInput): Promise<Operation> {
    const parsed = input as Parameters<typeof newOperation>[0];
    const operation = newOperation(parsed, parsed.operationId ?? randomUUID(), this.clock.now());
    const params = [...codec.toRow(operation).params, operation.kind, operation.callerSessionId, operation.clientRequestId];
    const { rows } = await this.db.query(CREATE, params);
    if (rows[0]) return codec.fromRow(rows[0]);
    // The conflicting row was inserted by a transaction that committed after this statement's
    // snapshot was taken (READ COMMITTED): a fresh statement sees it.
    return (await this.getByRequest(operation.kind, operation.callerSessionId, operation.clientRequestId!))!;
  }

  async get(operationId: string): Promise<Operation | null> {
    return this.one(`SELECT ${ALL} FROM operations WHERE operation_id = $1`, [operationId]);
  }

  async getByRequest(kind: string, callerSessionId: string, clientRequestId: string): Promise<Operation | null> {
    return this.one(`SELECT ${ALL} FROM operations WHERE kind = $1 AND caller_session_id = $2 AND client_request_id = $3`, [
      kind,
      callerSessionId,
      clientRequestId,
    ]);
  }

  async findMatchingNonterminal(kind: string, callerSessionId: string, cwd: string | null, slug: string | null): Promise<Operation | null> {
    return this.one(
      `SELECT ${ALL} FROM operations
       WHERE kind = $1 AND caller_session_id = $2 AND cwd IS NOT DISTINCT FROM $3::text AND slug IS NOT DISTINCT FROM $4::text
         AND state IN ('queued', 'running')
       ORDER BY created_at DESC, operation_id DESC LIMIT 1`,
      [kind, callerSessionId, cwd, slug],
    );
  }

  private async one(sql: string, params: unknown[]): Promise<Operation | null> {
    const { rows } = await this.db.query(sql, params);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  claim(operationId: string): Promise<Operation> {
    return this.transition(
      operationId,
      ['queued'],
      "state = 'running', attempt_count = attempt_count + 1, started_at = $1, heartbeat_at = $1, updated_at = $1",
      [this.clock.now()],
    );
  }

  async touch(operationId: string): Promise<void> {
    await this.transition(operationId, ['running'], 'heartbeat_at = $1, updated_at = $1', [this.clock.now()]);
  }

  updateProgress(operationId: string, progress: OperationProgress): Promise<Operation> {
    const params: unknown[] = [this.clock.now()];
    const set = ['updated_at = $1'];
    for (const [key, column] of [
      ['phase', 'progress_phase'],
      ['decision', 'progress_decision'],
      ['reason', 'progress_reason'],
    ] as const) {
      if (progress[key] === undefined) continue;
      params.push(progress[key]);
      set.push(`${column} = $${params.length}`);
    }
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
    const extra = column ? `, ${column} = $3` : '';
    return this.transition(operationId, from, `state = $1, completed_at = $2, updated_at = $2${extra}`, [
      to,
      this.clock.now(),
      ...(column ? [text] : []),
    ]);
  }

  /** Applies `set` only when the operation is in one of the `from` states; returns the updated row. */
  private async transition(operationId: string, from: OperationState[], set: string, params: unknown[]): Promise<Operation> {
    const { row, previous } = await guardedUpdate(
      this.db,
      {
        table: 'operations',
        key: 'operation_id',
        stateColumn: 'state',
        set,
        guard: `state IN (${from.map((s) => `'${s}'`).join(', ')})`,
        returning: ALL,
        params,
      },
      operationId,
    );
    if (row) return codec.fromRow(row);
    if (previous === null) throw new NotFoundError('operation', operationId);
    throw new ConflictError(`operation ${operationId} is ${previous}, expected ${from.join(' or ')}`);
  }

  async markNonterminalStale(): Promise<number> {
    const { rowCount } = await this.db.query(
      "UPDATE operations SET state = 'stale', completed_at = $1, updated_at = $1 WHERE state IN ('queued', 'running')",
      [this.clock.now()],
    );
    return rowCount ?? 0;
  }

  async expireStale(heartbeatCutoff: Date): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE operations SET state = 'stale', completed_at = $1, updated_at = $1
       WHERE state = 'running' AND COALESCE(heartbeat_at, started_at, updated_at) < $2`,
      [this.clock.now(), heartbeatCutoff],
    );
    return rowCount ?? 0;
  }
  async purge(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      "DELETE FROM operations WHERE state IN ('completed', 'failed', 'cancelled', 'stale') AND completed_at < $1",
      [new Date(this.clock.now().getTime() - olderThanMs)],
    );
    return rowCount ?? 0;
  }

  stats(): Promise<QueueStats> {
    return postgresQueueStats(this.db, 'operations', this.clock.now(), 0);
  }
}
