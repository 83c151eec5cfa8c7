import { ConflictError, NotFoundError } from '../../domain/errors.js';
import {
  WEBHOOK_MAX_ATTEMPTS,
  webhookContractFields,
  webhookDeliveryFields,
  type WebhookContract,
  type WebhookContractInput,
  type WebhookDelivery,
  type WebhookEnqueueInput,
} from '../../domain/webhook.js';
import {
  claimOrder,
  lockCutoff,
  notHeldMessage,
  WEBHOOK_LOCK_TTL_MS,
  type ClaimBatchOptions,
  type Claimed,
  type QueueStats,
  type RedriveOptions,
} from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { claimRows } from './mariadb-hook-outbox-repository.js';
import { mariadbQueueStats } from './mariadb-queue-stats.js';
import { withFields } from '../../domain/fields.js';

const contracts = new MariadbCodec(webhookContractFields);
const deliveries = new MariadbCodec(webhookDeliveryFields);

/** What a guarded transition reads of the locked delivery. */
interface Held {
  status: string;
  claim_token: string | null;
  attempt_count: number;
}

export class MariadbWebhookRepository implements WebhookRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async upsertContract(input: WebhookContractInput): Promise<WebhookContract> {
    const now = this.clock.now().getTime();
    const { rows } = await this.db.query(
      `INSERT INTO webhook_contracts (id, contract, active, source, created_at, updated_at) VALUES (?, ?, true, ?, ?, ?)
       ON DUPLICATE KEY UPDATE contract = VALUES(contract), source = VALUES(source), active = true, updated_at = VALUES(updated_at)
       RETURNING ${contracts.columnList}`,
      [input.id, JSON.stringify(input.contract), input.source, now, now],
    );
    return contracts.fromRow(rows[0]!);
  }

  async getContract(id: string): Promise<WebhookContract | null> {
    const { rows } = await this.db.query(`SELECT ${contracts.columnList} FROM webhook_contracts WHERE id = ?`, [id]);
    return rows[0] ? contracts.fromRow(rows[0]) : null;
  }

  async deactivate(id: string): Promise<WebhookContract> {
    const now = this.clock.now().getTime();
    return this.db.atomic(async (tx) => {
      const { rowCount } = await tx.query('UPDATE webhook_contracts SET active = false, updated_at = ? WHERE id = ?', [now, id]);
      if (rowCount === 0) throw new NotFoundError('webhook contract', id);
      const { rows } = await tx.query(`SELECT ${contracts.columnList} FROM webhook_contracts WHERE id = ?`, [id]);
      return contracts.fromRow(rows[0]!);
    });
  }

  async listContracts(options: { activeOnly?: boolean } = {}): Promise<WebhookContract[]> {
    const where = options.activeOnly ? 'WHERE active' : '';
    const { rows } = await this.db.query(`SELECT ${contracts.columnList} FROM webhook_contracts ${where} ORDER BY id`);
    return rows.map((row) => contracts.fromRow(row));
  }

  async enqueue(input: WebhookEnqueueInput): Promise<number> {
    const now = this.clock.now().getTime();
    const { insertId } = await this.db.query(
      `INSERT INTO webhook_outbox (contract_id, event, target_url, target_secret, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [input.contractId, JSON.stringify(input.event), input.targetUrl, input.targetSecret ?? null, now, (input.nextAttemptAt as Date | undefined)?.getTime() ?? now],
    );
    return insertId;
  }

  async getDelivery(id: number): Promise<WebhookDelivery | null> {
    const { rows } = await this.db.query(`SELECT ${deliveries.columnList} FROM webhook_outbox WHERE id = ?`, [id]);
    return rows[0] ? deliveries.fromRow(rows[0]) : null;
  }

  async claimBatch(options: ClaimBatchOptions): Promise<Claimed<WebhookDelivery>[]> {
    const now = this.clock.now();
    const ms = now.getTime();
    // See MariadbHookOutboxRepository.claimBatch.
    const rows = await claimRows(
      this.db,
      'webhook_outbox',
      `status = 'pending' AND next_attempt_at <= ?
       AND (locked_at IS NULL OR locked_at < ? AND (lock_expires_at IS NULL OR lock_expires_at < ?))`,
      [ms, lockCutoff(now, options.lockTtlMs ?? WEBHOOK_LOCK_TTL_MS).getTime(), ms],
      options.limit,
      ms,
      deliveries.columnList,
    );
    return rows.map((row) => withFields(deliveries.fromRow(row), { claimToken: row.claim_token as string })).sort(claimOrder);
  }

  async markDelivered(id: number, token: string): Promise<void> {
    await this.markDeliveredMany([{ id, token }]);
  }

  async markDeliveredMany(items: { id: number; token: string }[]): Promise<void> {
    // Rows locked and tokens checked first; the update runs only when every token still
    // holds its pending delivery (see MariadbHookOutboxRepository.markDeliveredMany).
    const now = this.clock.now().getTime();
    if (items.length === 1) {
      // One row: a single statement that checks the token itself; only a refusal reads why.
      const [{ id, token }] = items as [{ id: number; token: string }];
      const { rowCount } = await this.db.query(
        `UPDATE webhook_outbox SET status = 'delivered', delivered_at = ?, locked_at = NULL, lock_expires_at = NULL
         WHERE id = ? AND claim_token = ? AND status = 'pending'`,
        [now, id, token],
      );
      if (rowCount > 0) return;
    }
    await this.db.atomic(async (tx) => {
      const ids = items.map((i) => i.id);
      const { rows } = await tx.query<{ id: number; claim_token: string | null; status: string }>(
        'SELECT id, claim_token, status FROM webhook_outbox WHERE id IN (?) ORDER BY id FOR UPDATE',
        [ids],
      );
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      const refused = items
        .filter((i) => {
          const row = byId.get(i.id);
          return row?.claim_token !== i.token || row.status !== 'pending';
        })
        .map((i) => i.id)
        .sort((a, b) => a - b)[0];
      if (refused !== undefined) {
        const row = byId.get(refused);
        if (!row) throw new NotFoundError('webhook delivery', refused);
        throw new ConflictError(row.status === 'pending' ? notHeldMessage('webhook delivery', refused) : `webhook delivery ${refused} is already ${row.status}`);
      }
      await tx.query(`UPDATE webhook_outbox SET status = 'delivered', delivered_at = ?, locked_at = NULL, lock_expires_at = NULL WHERE id IN (?)`, [
        now,
        ids,
      ]);
    });
  }

  async markFailed(
    id: number,
    token: string,
    error: string,
    nextAttemptAt: Date,
    maxAttempts = WEBHOOK_MAX_ATTEMPTS,
  ): Promise<'pending' | 'dead_letter'> {
    // The dead-letter rule of the domain (isDeadLetter: attempts >= maxAttempts) on the new
    // count; a dead letter keeps its claim token.
    return this.transition(id, token, (row) => {
      const attempts = row.attempt_count + 1;
      const dead = attempts >= maxAttempts;
      return {
        set: `attempt_count = ?, last_error = ?, next_attempt_at = ?, locked_at = NULL, lock_expires_at = NULL,
          claim_token = ${dead ? 'claim_token' : 'NULL'}, status = ?`,
        params: [attempts, error, nextAttemptAt.getTime(), dead ? 'dead_letter' : 'pending'],
        result: dead ? ('dead_letter' as const) : ('pending' as const),
      };
    });
  }

  async markRejected(id: number, token: string, error: string): Promise<void> {
    await this.transition(id, token, () => ({
      set: "status = 'rejected', last_error = ?, locked_at = NULL, lock_expires_at = NULL",
      params: [error],
      result: undefined,
    }));
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    await this.transition(id, token, () => ({ set: 'locked_at = ?, lock_expires_at = ?', params: [now, now + ttlMs], result: undefined }));
  }

  async release(id: number, token: string): Promise<void> {
    await this.transition(id, token, () => ({ set: 'locked_at = NULL, lock_expires_at = NULL, claim_token = NULL', params: [], result: undefined }));
  }

  /** Applies the update `change` makes of the locked row to a pending delivery held by `token`; returns change's result. */
  private async transition<T>(id: number, token: string, change: (row: Held) => { set: string; params: unknown[]; result: T }): Promise<T> {
    return this.db.atomic(async (tx) => {
      const { rows } = await tx.query<Held>('SELECT status, claim_token, attempt_count FROM webhook_outbox WHERE id = ? FOR UPDATE', [id]);
      const row = rows[0];
      if (!row) throw new NotFoundError('webhook delivery', id);
      if (row.claim_token !== token || row.status !== 'pending') {
        throw new ConflictError(row.status === 'pending' ? notHeldMessage('webhook delivery', id) : `webhook delivery ${id} is already ${row.status}`);
      }
      const { set, params, result } = change({ ...row, attempt_count: Number(row.attempt_count) });
      await tx.query(`UPDATE webhook_outbox SET ${set} WHERE id = ?`, [...params, id]);
      return result;
    });
  }

  async redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const { rowCount } = await this.db.query(
      `UPDATE webhook_outbox SET status = 'pending', attempt_count = 0, next_attempt_at = ?, claim_token = NULL
       WHERE status = 'dead_letter'${ids === undefined ? '' : ' AND id IN (?)'}`,
      [this.clock.now().getTime(), ...(ids === undefined ? [] : [ids])],
    );
    return rowCount;
  }

  async purge(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM webhook_outbox
       WHERE status IN ('delivered', 'rejected', 'dead_letter') AND COALESCE(delivered_at, created_at) < ?`,
      [this.clock.now().getTime() - olderThanMs],
    );
    return rowCount;
  }

  stats(): Promise<QueueStats> {
    return mariadbQueueStats(this.db, 'webhook', this.clock.now(), WEBHOOK_LOCK_TTL_MS);
  }
}
