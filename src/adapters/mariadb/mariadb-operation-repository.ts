import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import {
  newOperation,
  operationFields,
  type Operation,
  type OperationCreateInput,
  type OperationProgress,
  type OperationState,
} from '../../domain/operation.js';
import type { QueueStats } from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { OperationRepository } from '../../ports/operation-repository.js';
import { ident, MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { mariadbQueueStats } from './mariadb-queue-stats.js';

const codec = new MariadbCodec(operationFields);
const ALL = codec.columnList;

export class MariadbOperationRepository implements OperationRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async create(input: OperationCreateInput): Promise<Operation> {
    const parsed = input as Parameters<typeof newOperation>[0];
    const operation = newOperation(parsed, parsed.operationId ?? randomUUID(), this.clock.now());
    const { columns, params } = codec.toRow(operation);
    try {
      const { rows } = await this.db.query(
        `INSERT INTO operations (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)}) RETURNING ${ALL}`,
        params,
      );
      return codec.fromRow(rows[0]!);
    } catch (error) {
      // A repeated request key inserts nothing and gives the existing operation (the other
      // engines' ON CONFLICT DO NOTHING); a failed statement leaves an enclosing transaction going.
      if (!(error instanceof ConflictError && /idx_operations_request/.test(error.message) && operation.clientRequestId !== null)) throw error;
      const existing = await this.getByRequest(operation.kind, operation.callerSessionId, operation.clientRequestId);
      if (!existing) throw error;
      return existing;
    }
  }

  async get(operationId: string): Promise<Operation | null> {
    return this.one(`SELECT ${ALL} FROM operations WHERE operation_id = ?`, [operationId]);
  }

  async getByRequest(kind: string, callerSessionId: string, clientRequestId: string): Promise<Operation | null> {
    return this.one(`SELECT ${ALL} FROM operations WHERE kind = ? AND caller_session_id = ? AND client_request_id = ?`, [
      kind,
      callerSessionId,
      clientRequestId,
    ]);
  }

  async findMatchingNonterminal(kind: string, callerSessionId: string, cwd: string | null, slug: string | null): Promise<Operation | null> {
    return this.one(
      `SELECT ${ALL} FROM operations
       WHERE kind = ? AND caller_session_id = ? AND cwd <=> ? AND slug <=> ? AND state IN ('queued', 'running')
       ORDER BY created_at DESC, operation_id DESC LIMIT 1`,
      [kind, callerSessionId, cwd, slug],
    );
  }

  private async one(sql: string, params: unknown[]): Promise<Operation | null> {
    const { rows } = await this.db.query(sql, params);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  claim(operationId: string): Promise<Operation> {
    const now = this.clock.now().getTime();
    return this.transition(operationId, ['queued'], "state = 'running', attempt_count = attempt_count + 1, started_at = ?, heartbeat_at = ?, updated_at = ?", [
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
    const params: unknown[] = [this.clock.now().getTime()];
    const set = ['updated_at = ?'];
    for (const [key, column] of [
      ['phase', 'progress_phase'],
      ['decision', 'progress_decision'],
      ['reason', 'progress_reason'],
    ] as const) {
      if (progress[key] === undefined) continue;
      params.push(progress[key]);
      set.push(`${column} = ?`);
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
    const now = this.clock.now().getTime();
    const extra = column ? `, ${column} = ?` : '';
    return this.transition(operationId, from, `state = ?, completed_at = ?, updated_at = ?${extra}`, [to, now, now, ...(column ? [text] : [])]);
  }

  /**
   * Applies `set` only when the operation is in one of the `from` states; returns the
   * updated row. The row is locked and its state checked, then updated and read back, in
   * one transaction (MariaDB has no RETURNING on UPDATE).
   */
  private async transition(operationId: string, from: OperationState[], set: string, params: unknown[]): Promise<Operation> {
    return this.db.atomic(async (tx) => {
      const { rows } = await tx.query<{ state: OperationState }>('SELECT state FROM operations WHERE operation_id = ? FOR UPDATE', [operationId]);
      const previous = rows[0]?.state;
      if (previous === undefined) throw new NotFoundError('operation', operationId);
      if (!from.includes(previous)) throw new ConflictError(`operation ${operationId} is ${previous}, expected ${from.join(' or ')}`);
      await tx.query(`UPDATE operations SET ${set} WHERE operation_id = ?`, [...params, operationId]);
      const { rows: updated } = await tx.query(`SELECT ${ALL} FROM operations WHERE operation_id = ?`, [operationId]);
      return codec.fromRow(updated[0]!);
    });
  }

  async markNonterminalStale(): Promise<number> {
    const now = this.clock.now().getTime();
    const { rowCount } = await this.db.query(
      "UPDATE operations SET state = 'stale', completed_at = ?, updated_at = ? WHERE state IN ('queued', 'running')",
      [now, now],
    );
    return rowCount;
  }

  async expireStale(heartbeatCutoff: Date): Promise<number> {
    const now = this.clock.now().getTime();
    const { rowCount } = await this.db.query(
      `UPDATE operations SET state = 'stale', completed_at = ?, updated_at = ?
       WHERE state = 'running' AND COALESCE(heartbeat_at, started_at, updated_at) < ?`,
      [now, now, heartbeatCutoff.getTime()],
    );
    return rowCount;
  }

  async purge(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      "DELETE FROM operations WHERE state IN ('completed', 'failed', 'cancelled', 'stale') AND completed_at < ?",
      [this.clock.now().getTime() - olderThanMs],
    );
    return rowCount;
  }

  stats(): Promise<QueueStats> {
    return mariadbQueueStats(this.db, 'operations', this.clock.now(), 0);
  }
}
