import { listenerFields, type Listener } from '../../domain/listener.js';
import type { Clock } from '../../ports/clock.js';
import type { ListenerRepository } from '../../ports/listener-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';

const codec = new PostgresCodec(listenerFields);
const ORDER = 'ORDER BY registered_at, caller_session_id COLLATE "C", target_session_id COLLATE "C"';

export class PostgresListenerRepository implements ListenerRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async register(targetSessionId: string, callerSessionId: string, callerTmuxSession: string): Promise<boolean> {
    // xmax = 0 only on a row this statement inserted (an updated row carries our xid).
    const { rows } = await this.db.query<{ inserted: boolean }>(
      `INSERT INTO session_listeners (target_session_id, caller_session_id, caller_tmux_session, registered_at)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (target_session_id, caller_session_id) DO UPDATE
         SET caller_tmux_session = excluded.caller_tmux_session, registered_at = excluded.registered_at
       RETURNING (xmax = 0) AS inserted`,
      [targetSessionId, callerSessionId, callerTmuxSession, this.clock.now()],
    );
    return rows[0]!.inserted;
  }

  async unregister(targetSessionId: string, callerSessionId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM session_listeners WHERE target_session_id = $1 AND caller_session_id = $2', [
      targetSessionId,
      callerSessionId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  listForTarget(targetSessionId: string): Promise<Listener[]> {
    return this.select(`SELECT ${codec.columnList} FROM session_listeners WHERE target_session_id = $1 ${ORDER}`, targetSessionId);
  }

  listForCaller(callerSessionId: string): Promise<Listener[]> {
    return this.select(`SELECT ${codec.columnList} FROM session_listeners WHERE caller_session_id = $1 ${ORDER}`, callerSessionId);
  }

  popForTarget(targetSessionId: string): Promise<Listener[]> {
    return this.select(
      `WITH popped AS (DELETE FROM session_listeners WHERE target_session_id = $1 RETURNING ${codec.columnList})
       SELECT ${codec.columnList} FROM popped ${ORDER}`,
      targetSessionId,
    );
  }

  async removeForCaller(callerSessionId: string): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM session_listeners WHERE caller_session_id = $1', [callerSessionId]);
    return rowCount ?? 0;
  }

  async listAll(): Promise<Listener[]> {
    const { rows } = await this.db.query(`SELECT ${codec.columnList} FROM session_listeners ${ORDER}`);
    return rows.map((row) => codec.fromRow(row));
  }

  async staleTargets(maxAgeMs: number): Promise<string[]> {
    const { rows } = await this.db.query<{ target_session_id: string }>(
      'SELECT DISTINCT target_session_id COLLATE "C" AS target_session_id FROM session_listeners WHERE registered_at < $1 ORDER BY 1',
      [new Date(this.clock.now().getTime() - maxAgeMs)],
    );
    return rows.map((row) => row.target_session_id);
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM session_listeners');
    return rows[0]!.n;
  }

  async resetTimestamps(targetSessionId?: string): Promise<number> {
    const { rowCount } = await this.db.query(
      'UPDATE session_listeners SET registered_at = $1 WHERE $2::text IS NULL OR target_session_id = $2',
      [this.clock.now(), targetSessionId ?? null],
    );
    return rowCount ?? 0;
  }

  private async select(sql: string, param: string): Promise<Listener[]> {
    const { rows } = await this.db.query(sql, [param]);
    return rows.map((row) => codec.fromRow(row));
  }
}
