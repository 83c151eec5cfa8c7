import { ConflictError } from '../../domain/errors.js';
import { listenerFields, type Listener } from '../../domain/listener.js';
import type { Clock } from '../../ports/clock.js';
import type { ListenerRepository } from '../../ports/listener-repository.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';

const codec = new MariadbCodec(listenerFields);
const ORDER = 'ORDER BY registered_at, caller_session_id, target_session_id';

export class MariadbListenerRepository implements ListenerRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async register(targetSessionId: string, callerSessionId: string, callerTmuxSession: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    // An upsert's affected-row count cannot tell an insert from an update that changed
    // nothing, so: update the row if it is there, else insert it. Two registrations racing
    // to insert: the loser's duplicate key means the row is there now, so it updates.
    for (;;) {
      const { rowCount } = await this.db.query(
        'UPDATE session_listeners SET caller_tmux_session = ?, registered_at = ? WHERE target_session_id = ? AND caller_session_id = ?',
        [callerTmuxSession, now, targetSessionId, callerSessionId],
      );
      if (rowCount > 0) return false;
      try {
        await this.db.query(
          'INSERT INTO session_listeners (target_session_id, caller_session_id, caller_tmux_session, registered_at) VALUES (?, ?, ?, ?)',
          [targetSessionId, callerSessionId, callerTmuxSession, now],
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }

  async unregister(targetSessionId: string, callerSessionId: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM session_listeners WHERE target_session_id = ? AND caller_session_id = ?', [
      targetSessionId,
      callerSessionId,
    ]);
    return rowCount > 0;
  }

  listForTarget(targetSessionId: string): Promise<Listener[]> {
    return this.select(`SELECT ${codec.columnList} FROM session_listeners WHERE target_session_id = ? ${ORDER}`, [targetSessionId]);
  }

  listForCaller(callerSessionId: string): Promise<Listener[]> {
    return this.select(`SELECT ${codec.columnList} FROM session_listeners WHERE caller_session_id = ? ${ORDER}`, [callerSessionId]);
  }

  popForTarget(targetSessionId: string): Promise<Listener[]> {
    // A single-table DELETE deletes (and returns) in its ORDER BY.
    return this.select(`DELETE FROM session_listeners WHERE target_session_id = ? ${ORDER} RETURNING ${codec.columnList}`, [targetSessionId]);
  }

  async removeForCaller(callerSessionId: string): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM session_listeners WHERE caller_session_id = ?', [callerSessionId]);
    return rowCount;
  }

  listAll(): Promise<Listener[]> {
    return this.select(`SELECT ${codec.columnList} FROM session_listeners ${ORDER}`, []);
  }

  async staleTargets(maxAgeMs: number): Promise<string[]> {
    const { rows } = await this.db.query<{ target_session_id: string }>(
      'SELECT DISTINCT target_session_id FROM session_listeners WHERE registered_at < ? ORDER BY target_session_id',
      [this.clock.now().getTime() - maxAgeMs],
    );
    return rows.map((row) => row.target_session_id);
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM session_listeners');
    return Number(rows[0]!.n);
  }

  async resetTimestamps(targetSessionId?: string): Promise<number> {
    const { rowCount } =
      targetSessionId === undefined
        ? await this.db.query('UPDATE session_listeners SET registered_at = ?', [this.clock.now().getTime()])
        : await this.db.query('UPDATE session_listeners SET registered_at = ? WHERE target_session_id = ?', [this.clock.now().getTime(), targetSessionId]);
    return rowCount;
  }

  private async select(sql: string, params: unknown[]): Promise<Listener[]> {
    const { rows } = await this.db.query(sql, params);
    return rows.map((row) => codec.fromRow(row));
  }
}
