import { byRegistration, listenerFields, type Listener } from '../../domain/listener.js';
import type { Clock } from '../../ports/clock.js';
import type { ListenerRepository } from '../../ports/listener-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(listenerFields);
const ORDER = 'ORDER BY registered_at, caller_session_id, target_session_id';
const SELECT = `SELECT ${codec.columnList} FROM session_listeners`;
const FOR_TARGET = `${SELECT} WHERE target_session_id = ? ${ORDER}`;
const FOR_CALLER = `${SELECT} WHERE caller_session_id = ? ${ORDER}`;
const ALL = `${SELECT} ${ORDER}`;
const POP = `DELETE FROM session_listeners WHERE target_session_id = ? RETURNING ${codec.columnList}`;
const UPSERT = `INSERT INTO session_listeners (target_session_id, caller_session_id, caller_tmux_session, registered_at)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (target_session_id, caller_session_id) DO UPDATE
    SET caller_tmux_session = excluded.caller_tmux_session, registered_at = excluded.registered_at`;

export class SqliteListenerRepository implements ListenerRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  register(targetSessionId: string, callerSessionId: string, callerTmuxSession: string): Promise<boolean> {
    const now = this.clock.now().getTime();
    // SQLite's upsert cannot tell an insert from an update, so the existence check and the
    // upsert share one IMMEDIATE transaction (a savepoint inside a store transaction).
    return this.db.immediate(() => {
      const existed = this.db
        .prepare('SELECT 1 FROM session_listeners WHERE target_session_id = ? AND caller_session_id = ?')
        .get(targetSessionId, callerSessionId);
      this.db.prepare(UPSERT).run(targetSessionId, callerSessionId, callerTmuxSession, now);
      return existed === undefined;
    });
  }

  unregister(targetSessionId: string, callerSessionId: string): Promise<boolean> {
    return this.db.run(
      () =>
        this.db
          .prepare('DELETE FROM session_listeners WHERE target_session_id = ? AND caller_session_id = ?')
          .run(targetSessionId, callerSessionId).changes > 0,
    );
  }

  listForTarget(targetSessionId: string): Promise<Listener[]> {
    return this.select(FOR_TARGET, targetSessionId);
  }

  listForCaller(callerSessionId: string): Promise<Listener[]> {
    return this.select(FOR_CALLER, callerSessionId);
  }

  popForTarget(targetSessionId: string): Promise<Listener[]> {
    return this.db.run(() =>
      (this.db.prepareRaw(POP).all(targetSessionId) as unknown[][]).map((row) => codec.fromArray(row)).sort(byRegistration),
    );
  }

  removeForCaller(callerSessionId: string): Promise<number> {
    return this.db.run(() => this.db.prepare('DELETE FROM session_listeners WHERE caller_session_id = ?').run(callerSessionId).changes);
  }

  listAll(): Promise<Listener[]> {
    return this.db.run(() =>
      (this.db.prepareRaw(ALL).all() as unknown[][]).map((row) => codec.fromArray(row)),
    );
  }

  staleTargets(maxAgeMs: number): Promise<string[]> {
    const cutoff = this.clock.now().getTime() - maxAgeMs;
    return this.db.run(
      () =>
        this.db
          .prepare('SELECT DISTINCT target_session_id FROM session_listeners WHERE registered_at < ? ORDER BY target_session_id')
          .pluck()
          .all(cutoff) as string[],
    );
  }

  count(): Promise<number> {
    return this.db.run(() => (this.db.prepare('SELECT count(*) AS n FROM session_listeners').get() as { n: number }).n);
  }

  resetTimestamps(targetSessionId?: string): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.run(() =>
      targetSessionId === undefined
        ? this.db.prepare('UPDATE session_listeners SET registered_at = ?').run(now).changes
        : this.db.prepare('UPDATE session_listeners SET registered_at = ? WHERE target_session_id = ?').run(now, targetSessionId).changes,
    );
  }

  private select(sql: string, param: string): Promise<Listener[]> {
    return this.db.run(() => (this.db.prepareRaw(sql).all(param) as unknown[][]).map((row) => codec.fromArray(row)));
  }
}
