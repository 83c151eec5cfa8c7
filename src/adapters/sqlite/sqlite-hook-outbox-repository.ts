import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { sqliteQueueStats } from './sqlite-queue-stats.js';
import type { QueueStats } from '../../domain/work-queue.js';
import { hookEventFields, type HookEvent, type HookEventInput } from '../../domain/hook-outbox.js';
import {
  claimOrder,
  HOOK_LOCK_TTL_MS,
  lockCutoff,
  notHeldMessage,
  type ClaimBatchOptions,
  type Claimed,
  type RedriveOptions,
} from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { HookOutboxRepository } from '../../ports/hook-outbox-repository.js';
import { SqliteCodec } from './sqlite-codec.js';
import { claimOutboxRows, outboxClaimStatements } from './sqlite-outbox-claim.js';
import type { SqliteExecutor } from './sqlite-database.js';

const codec = new SqliteCodec(hookEventFields);
const ALL = codec.columnList;
const GET = `SELECT ${ALL} FROM hook_outbox WHERE id = ?`;
const ENQUEUE = `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
   VALUES (?, ?, ?, ?, ?) RETURNING id`;
const FAIL = `UPDATE hook_outbox SET attempt_count = attempt_count + 1, last_error = ?, next_attempt_at = ?,
     locked_at = NULL, lock_expires_at = NULL, claim_token = NULL,
     dead_at = CASE WHEN attempt_count + 1 >= ? THEN ? END
   WHERE id = ? AND claim_token = ? AND delivered_at IS NULL RETURNING dead_at`;
const REDRIVE = 'UPDATE hook_outbox SET dead_at = NULL, attempt_count = 0, next_attempt_at = ? WHERE dead_at IS NOT NULL AND delivered_at IS NULL';
const REDRIVE_IDS = `${REDRIVE} AND id IN (SELECT value FROM json_each(?))`;
/** Index of the claim_token after the columns of a claimed row. */
const TOKEN = ALL.split(', ').length;
const CLAIM = outboxClaimStatements('hook_outbox', 'idx_hook_outbox_claim_order', 'delivered_at IS NULL AND dead_at IS NULL', ALL);
const DELIVER = `UPDATE hook_outbox SET last_error = CASE WHEN delivered_at IS NULL THEN ? ELSE last_error END,
   delivered_at = COALESCE(delivered_at, ?), locked_at = NULL, lock_expires_at = NULL WHERE id = ? AND claim_token = ?`;

export class SqliteHookOutboxRepository implements HookOutboxRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  enqueue(input: HookEventInput): Promise<number> {
    const now = this.clock.now().getTime();
    const next = input.nextAttemptAt ? (input.nextAttemptAt as Date).getTime() : now;
    const payload = JSON.stringify(input.payload);
    return this.db.run(() => (this.db.prepareRaw(ENQUEUE).get(input.sessionId, input.eventType, payload, now, next) as [number])[0]);
  }

  get(id: number): Promise<HookEvent | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET).get(id) as unknown[] | undefined;
      return row === undefined ? null : codec.fromArray(row);
    });
  }

  claimBatch(options: ClaimBatchOptions): Promise<Claimed<HookEvent>[]> {
    const now = this.clock.now();
    const cutoff = lockCutoff(now, options.lockTtlMs ?? HOOK_LOCK_TTL_MS).getTime();
    // In an IMMEDIATE transaction: the write lock is taken before the rows are chosen, so no
    // other process can choose them too (busy_timeout makes it wait). RETURNING has no
    // defined order, hence the sort.
    return this.db
      .immediate(() => claimOutboxRows(this.db, CLAIM, now.getTime(), cutoff, options.limit))
      .then((rows) =>
        rows
          .map((row) => {
            const claimed = codec.fromArray(row) as Claimed<HookEvent>;
            claimed.claimToken = row[TOKEN] as string;
            return claimed;
          })
          .sort(claimOrder),
      );
  }

  markDelivered(id: number, token: string, error?: string): Promise<void> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      if (this.db.prepare(DELIVER).run(error ?? null, now, id, token).changes === 0) this.refused(id);
    });
  }

  markDeliveredMany(items: { id: number; token: string; error?: string }[]): Promise<void> {
    const now = this.clock.now().getTime();
    // One transaction for the batch: a stale token rolls the whole batch back.
    return this.db.immediate(() => {
      const deliver = this.db.prepare(DELIVER);
      for (const item of items) if (deliver.run(item.error ?? null, now, item.id, item.token).changes === 0) this.refused(item.id);
    });
  }

  markFailed(id: number, token: string, error: string, nextAttemptAt: Date, maxAttempts?: number): Promise<'pending' | 'dead_letter'> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const row = this.db
        .prepare(FAIL)
        .get(error, nextAttemptAt.getTime(), maxAttempts ?? null, now, id, token) as { dead_at: number | null } | undefined;
      if (!row) this.refused(id);
      return row.dead_at === null ? 'pending' : 'dead_letter';
    });
  }

  redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const now = this.clock.now().getTime();
    return this.db.run(() => (ids ? this.db.prepare(REDRIVE_IDS).run(now, JSON.stringify(ids)) : this.db.prepare(REDRIVE).run(now)).changes);
  }

  extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const changed = this.db
        .prepare('UPDATE hook_outbox SET locked_at = ?, lock_expires_at = ? WHERE id = ? AND claim_token = ? AND delivered_at IS NULL')
        .run(now, now + ttlMs, id, token).changes;
      if (changed === 0) this.refused(id);
    });
  }

  release(id: number, token: string): Promise<void> {
    return this.db.run(() => {
      const changed = this.db
        .prepare(
          `UPDATE hook_outbox SET locked_at = NULL, lock_expires_at = NULL, claim_token = NULL
           WHERE id = ? AND claim_token = ? AND delivered_at IS NULL`,
        )
        .run(id, token).changes;
      if (changed === 0) this.refused(id);
    });
  }

  /** Throws why a guarded update of `id` changed nothing. */
  private refused(id: number): never {
    const row = this.db.prepare('SELECT delivered_at FROM hook_outbox WHERE id = ?').get(id) as { delivered_at: number | null } | undefined;
    if (!row) throw new NotFoundError('hook event', id);
    throw new ConflictError(row.delivered_at !== null ? `hook event ${id} is already delivered` : notHeldMessage('hook event', id));
  }

  purgeDelivered(olderThanMs: number): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    return this.db.run(() => this.db.prepare('DELETE FROM hook_outbox WHERE delivered_at < ?').run(cutoff).changes);
  }
  stats(): Promise<QueueStats> {
    return sqliteQueueStats(this.db, 'hook', this.clock.now(), HOOK_LOCK_TTL_MS);
  }
}
