import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { hookEventFields, type HookEvent, type HookEventInput } from '../../domain/hook-outbox.js';
import { claimOrder, HOOK_LOCK_TTL_MS, lockCutoff, type ClaimBatchOptions } from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { HookOutboxRepository } from '../../ports/hook-outbox-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(hookEventFields);
const ALL = codec.columnList;
type Row = Record<string, unknown>;
const CLAIM = `UPDATE hook_outbox SET locked_at = ?
   WHERE id IN (SELECT id FROM hook_outbox
                WHERE delivered_at IS NULL AND next_attempt_at <= ? AND (locked_at IS NULL OR locked_at < ?)
                ORDER BY created_at, id LIMIT ?)
   RETURNING ${ALL}`;

export class SqliteHookOutboxRepository implements HookOutboxRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  enqueue(input: HookEventInput): Promise<number> {
    const now = this.clock.now().getTime();
    const next = input.nextAttemptAt ? (input.nextAttemptAt as Date).getTime() : now;
    return this.db.run(
      () =>
        this.db
          .prepare(
            `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
             VALUES (?, ?, ?, ?, ?) RETURNING id`,
          )
          .pluck()
          .get(input.sessionId, input.eventType, JSON.stringify(input.payload), now, next) as number,
    );
  }

  get(id: number): Promise<HookEvent | null> {
    return this.db.run(() => {
      const row = this.db.prepare(`SELECT ${ALL} FROM hook_outbox WHERE id = ?`).get(id);
      return row ? codec.fromRow(row as Row) : null;
    });
  }

  claimBatch(options: ClaimBatchOptions): Promise<HookEvent[]> {
    const now = this.clock.now();
    const cutoff = lockCutoff(now, options.lockTtlMs ?? HOOK_LOCK_TTL_MS).getTime();
    // One UPDATE ... RETURNING in an IMMEDIATE transaction: the write lock is taken before the
    // rows are chosen, so no other process can choose them too (busy_timeout makes it wait).
    // RETURNING has no defined order, hence the sort.
    return this.db.run((db) =>
      db
        .transaction(() => this.db.prepare(CLAIM).all(now.getTime(), now.getTime(), cutoff, options.limit) as Row[])
        .immediate()
        .map((row) => codec.fromRow(row))
        .sort(claimOrder),
    );
  }

  markDelivered(id: number, error?: string): Promise<void> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const changed = this.db
        .prepare(
          `UPDATE hook_outbox SET last_error = CASE WHEN delivered_at IS NULL THEN ? ELSE last_error END,
             delivered_at = COALESCE(delivered_at, ?), locked_at = NULL WHERE id = ?`,
        )
        .run(error ?? null, now, id).changes;
      if (changed === 0) throw new NotFoundError('hook event', id);
    });
  }

  markFailed(id: number, error: string, nextAttemptAt: Date): Promise<void> {
    return this.db.run(() => {
      const changed = this.db
        .prepare(
          `UPDATE hook_outbox SET attempt_count = attempt_count + 1, last_error = ?, next_attempt_at = ?, locked_at = NULL
           WHERE id = ? AND delivered_at IS NULL`,
        )
        .run(error, nextAttemptAt.getTime(), id).changes;
      if (changed > 0) return;
      if (this.db.prepare('SELECT 1 FROM hook_outbox WHERE id = ?').get(id)) {
        throw new ConflictError(`hook event ${id} is already delivered`);
      }
      throw new NotFoundError('hook event', id);
    });
  }

  purgeDelivered(olderThanMs: number): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    return this.db.run(() => this.db.prepare('DELETE FROM hook_outbox WHERE delivered_at < ?').run(cutoff).changes);
  }
}
