import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { hookEventFields, type HookEvent, type HookEventInput } from '../../domain/hook-outbox.js';
import {
  claimOrder,
  HOOK_LOCK_TTL_MS,
  lockCutoff,
  notHeldMessage,
  type ClaimBatchOptions,
  type Claimed,
  type QueueStats,
  type RedriveOptions,
} from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { HookOutboxRepository } from '../../ports/hook-outbox-repository.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { mariadbQueueStats } from './mariadb-queue-stats.js';
import { withFields } from '../../domain/fields.js';

const codec = new MariadbCodec(hookEventFields);
const ALL = codec.columnList;

/** `CASE id WHEN ? THEN ? ... END` and its parameters: a value per id in one UPDATE. */
export function perId(pairs: readonly [number, unknown][]): { sql: string; params: unknown[] } {
  return { sql: `CASE id ${pairs.map(() => 'WHEN ? THEN ?').join(' ')} END`, params: pairs.flat() };
}

/**
 * Claims up to `limit` rows of `table` meeting `where` (parameters `whereParams`), oldest
 * first: `SELECT ... FOR UPDATE SKIP LOCKED` then `UPDATE` in one transaction, so concurrent
 * claimers take disjoint rows instead of queueing on each other's row locks (MariaDB has
 * no RETURNING on UPDATE). Each row gets a random claim token of its own. The rows are
 * returned as read plus what the UPDATE wrote (they are locked in between), which spares
 * reading them again. `columns` are the codec's column names (unquoted).
 */
export async function claimRows(
  db: MariadbExecutor,
  table: string,
  where: string,
  whereParams: unknown[],
  limit: number,
  nowMs: number,
  columnList: string,
): Promise<Record<string, unknown>[]> {
  return db.atomic(async (tx) => {
    const { rows } = await tx.query<Record<string, unknown> & { id: number }>(
      `SELECT ${columnList} FROM ${table} WHERE ${where} ORDER BY created_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [...whereParams, limit],
    );
    if (rows.length === 0) return [];
    const claimed = rows.map((row) => withFields(row, { locked_at: nowMs, lock_expires_at: null, claim_token: randomUUID() }));
    const tokens = perId(claimed.map((row) => [Number(row.id), row.claim_token]));
    await tx.query(`UPDATE ${table} SET locked_at = ?, lock_expires_at = NULL, claim_token = ${tokens.sql} WHERE id IN (?)`, [
      nowMs,
      ...tokens.params,
      claimed.map((row) => Number(row.id)),
    ]);
    return claimed;
  });
}

export class MariadbHookOutboxRepository implements HookOutboxRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async enqueue(input: HookEventInput): Promise<number> {
    const now = this.clock.now().getTime();
    const { insertId } = await this.db.query(
      'INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
      [input.sessionId, input.eventType, JSON.stringify(input.payload), now, (input.nextAttemptAt as Date | undefined)?.getTime() ?? now],
    );
    return insertId;
  }

  async get(id: number): Promise<HookEvent | null> {
    const { rows } = await this.db.query(`SELECT ${ALL} FROM hook_outbox WHERE id = ?`, [id]);
    return rows[0] ? codec.fromRow(rows[0]) : null;
  }

  async claimBatch(options: ClaimBatchOptions): Promise<Claimed<HookEvent>[]> {
    const now = this.clock.now();
    const ms = now.getTime();
    const rows = await claimRows(
      this.db,
      'hook_outbox',
      `delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ?
       AND (locked_at IS NULL OR locked_at < ? AND (lock_expires_at IS NULL OR lock_expires_at < ?))`,
      [ms, lockCutoff(now, options.lockTtlMs ?? HOOK_LOCK_TTL_MS).getTime(), ms],
      options.limit,
      ms,
      ALL,
    );
    return rows.map((row) => withFields(codec.fromRow(row), { claimToken: row.claim_token as string })).sort(claimOrder);
  }

  async markDelivered(id: number, token: string, error?: string): Promise<void> {
    await this.markDeliveredMany([{ id, token, error }]);
  }

  async markDeliveredMany(items: { id: number; token: string; error?: string }[]): Promise<void> {
    // The rows are locked and every token checked first; the update runs only when every
    // token still holds its row, so a stale token changes nothing.
    const now = this.clock.now().getTime();
    if (items.length === 1) {
      // One row: a single statement that checks the token itself; only a refusal reads why.
      const [{ id, token, error }] = items as [{ id: number; token: string; error?: string }];
      const { rowCount } = await this.db.query(
        `UPDATE hook_outbox SET last_error = CASE WHEN delivered_at IS NULL THEN ? ELSE last_error END,
           delivered_at = COALESCE(delivered_at, ?), locked_at = NULL, lock_expires_at = NULL
         WHERE id = ? AND claim_token = ?`,
        [error ?? null, now, id, token],
      );
      if (rowCount > 0) return;
    }
    await this.db.atomic(async (tx) => {
      const ids = items.map((i) => i.id);
      const { rows } = await tx.query<{ id: number; claim_token: string | null; delivered_at: number | null }>(
        'SELECT id, claim_token, delivered_at FROM hook_outbox WHERE id IN (?) ORDER BY id FOR UPDATE',
        [ids],
      );
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      const refused = items
        .filter((i) => byId.get(i.id)?.claim_token !== i.token)
        .map((i) => i.id)
        .sort((a, b) => a - b)[0];
      if (refused !== undefined) {
        const row = byId.get(refused);
        if (!row) throw new NotFoundError('hook event', refused);
        throw new ConflictError(row.delivered_at !== null ? `hook event ${refused} is already delivered` : notHeldMessage('hook event', refused));
      }
      const errors = perId(items.map((i) => [i.id, i.error ?? null]));
      // last_error before delivered_at: MariaDB assigns left to right, later expressions seeing earlier ones.
      await tx.query(
        `UPDATE hook_outbox SET last_error = CASE WHEN delivered_at IS NULL THEN ${errors.sql} ELSE last_error END,
           delivered_at = COALESCE(delivered_at, ?), locked_at = NULL, lock_expires_at = NULL
         WHERE id IN (?)`,
        [...errors.params, now, ids],
      );
    });
  }

  async markFailed(id: number, token: string, error: string, nextAttemptAt: Date, maxAttempts?: number): Promise<'pending' | 'dead_letter'> {
    const now = this.clock.now().getTime();
    const dead = await this.guarded(id, token, (row) => {
      const attempts = row.attempt_count + 1;
      const isDead = maxAttempts !== undefined && attempts >= maxAttempts;
      return {
        set: 'attempt_count = ?, last_error = ?, next_attempt_at = ?, locked_at = NULL, lock_expires_at = NULL, claim_token = NULL, dead_at = ?',
        params: [attempts, error, nextAttemptAt.getTime(), isDead ? now : null],
        result: isDead,
      };
    });
    return dead ? 'dead_letter' : 'pending';
  }

  async redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const { rowCount } = await this.db.query(
      `UPDATE hook_outbox SET dead_at = NULL, attempt_count = 0, next_attempt_at = ?
       WHERE dead_at IS NOT NULL AND delivered_at IS NULL${ids === undefined ? '' : ' AND id IN (?)'}`,
      [this.clock.now().getTime(), ...(ids === undefined ? [] : [ids])],
    );
    return rowCount;
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    await this.guarded(id, token, () => ({ set: 'locked_at = ?, lock_expires_at = ?', params: [now, now + ttlMs], result: false }));
  }

  async release(id: number, token: string): Promise<void> {
    await this.guarded(id, token, () => ({ set: 'locked_at = NULL, lock_expires_at = NULL, claim_token = NULL', params: [], result: false }));
  }

  /**
   * Applies the update `change` makes of the locked row to an undelivered event held by
   * `token`, or throws why not (missing, delivered, or not held); returns change's result.
   */
  private async guarded<T>(
    id: number,
    token: string,
    change: (row: { attempt_count: number }) => { set: string; params: unknown[]; result: T },
  ): Promise<T> {
    return this.db.atomic(async (tx) => {
      const { rows } = await tx.query<{ claim_token: string | null; delivered_at: number | null; attempt_count: number }>(
        'SELECT claim_token, delivered_at, attempt_count FROM hook_outbox WHERE id = ? FOR UPDATE',
        [id],
      );
      const row = rows[0];
      if (!row) throw new NotFoundError('hook event', id);
      if (row.delivered_at !== null) throw new ConflictError(`hook event ${id} is already delivered`);
      if (row.claim_token !== token) throw new ConflictError(notHeldMessage('hook event', id));
      const { set, params, result } = change({ attempt_count: Number(row.attempt_count) });
      await tx.query(`UPDATE hook_outbox SET ${set} WHERE id = ?`, [...params, id]);
      return result;
    });
  }

  async purgeDelivered(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM hook_outbox WHERE delivered_at < ?', [this.clock.now().getTime() - olderThanMs]);
    return rowCount;
  }

  stats(): Promise<QueueStats> {
    return mariadbQueueStats(this.db, 'hook', this.clock.now(), HOOK_LOCK_TTL_MS);
  }
}
