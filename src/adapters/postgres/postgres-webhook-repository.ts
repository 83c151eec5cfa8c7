import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { postgresQueueStats } from './postgres-queue-stats.js';
import type { QueueStats } from '../../domain/work-queue.js';
import {
  WEBHOOK_MAX_ATTEMPTS,
  webhookContractFields,
  webhookDeliveryFields,
  type WebhookContract,
  type WebhookContractInput,
  type WebhookDelivery,
  type WebhookEnqueueInput,
} from '../../domain/webhook.js';
import { claimOrder, lockCutoff, notHeldMessage, WEBHOOK_LOCK_TTL_MS, type ClaimBatchOptions, type Claimed, type RedriveOptions } from '../../domain/work-queue.js';
import type { Clock } from '../../ports/clock.js';
import type { WebhookRepository } from '../../ports/webhook-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { guardedUpdate } from './postgres-guarded-update.js';
import { NOTIFY_WORK } from './postgres-notifier.js';
import { withFields } from '../../domain/fields.js';

const contracts = new PostgresCodec(webhookContractFields);
const deliveries = new PostgresCodec(webhookDeliveryFields);

export class PostgresWebhookRepository implements WebhookRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async upsertContract(input: WebhookContractInput): Promise<WebhookContract> {
    const now = this.clock.now();
    const { rows } = await this.db.query(
      `INSERT INTO webhook_contracts (id, contract, active, source, created_at, updated_at) VALUES ($1, $2, true, $3, $4, $4)
       ON CONFLICT (id) DO UPDATE SET contract = excluded.contract, source = excluded.source, active = true,
         updated_at = excluded.updated_at
       RETURNING ${contracts.columnList}`,
      [input.id, JSON.stringify(input.contract), input.source, now],
    );
    return contracts.fromRow(rows[0]!);
  }

  async getContract(id: string): Promise<WebhookContract | null> {
    const { rows } = await this.db.query(`SELECT ${contracts.columnList} FROM webhook_contracts WHERE id = $1`, [id]);
    return rows[0] ? contracts.fromRow(rows[0]) : null;
  }

  async deactivate(id: string): Promise<WebhookContract> {
    const { rows } = await this.db.query(
      `UPDATE webhook_contracts SET active = false, updated_at = $1 WHERE id = $2 RETURNING ${contracts.columnList}`,
      [this.clock.now(), id],
    );
    if (!rows[0]) throw new NotFoundError('webhook contract', id);
    return contracts.fromRow(rows[0]);
  }

  async listContracts(options: { activeOnly?: boolean } = {}): Promise<WebhookContract[]> {
    const where = options.activeOnly ? 'WHERE active' : '';
    const { rows } = await this.db.query(`SELECT ${contracts.columnList} FROM webhook_contracts ${where} ORDER BY id COLLATE "C"`);
    return rows.map((row) => contracts.fromRow(row));
  }

  async enqueue(input: WebhookEnqueueInput): Promise<number> {
    const now = this.clock.now();
    const { rows } = await this.db.query<{ id: number }>(
      `INSERT INTO webhook_outbox (contract_id, event, target_url, target_secret, created_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, ${NOTIFY_WORK}`,
      [input.contractId, JSON.stringify(input.event), input.targetUrl, input.targetSecret ?? null, now, input.nextAttemptAt ?? now],
    );
    return rows[0]!.id;
  }

  async getDelivery(id: number): Promise<WebhookDelivery | null> {
    const { rows } = await this.db.query(`SELECT ${deliveries.columnList} FROM webhook_outbox WHERE id = $1`, [id]);
    return rows[0] ? deliveries.fromRow(rows[0]) : null;
  }

  async claimBatch(options: ClaimBatchOptions): Promise<Claimed<WebhookDelivery>[]> {
    const now = this.clock.now();
    // See PostgresHookOutboxRepository.claimBatch.
    const { rows } = await this.db.query(
      `UPDATE webhook_outbox SET locked_at = $1, lock_expires_at = NULL, claim_token = gen_random_uuid()::text
       WHERE id IN (SELECT id FROM webhook_outbox
                    WHERE status = 'pending' AND next_attempt_at <= $1
                      AND (locked_at IS NULL OR locked_at < $2 AND (lock_expires_at IS NULL OR lock_expires_at < $1))
                    ORDER BY created_at, id LIMIT $3
                    FOR UPDATE SKIP LOCKED)
       RETURNING ${deliveries.columnList}, claim_token`,
      [now, lockCutoff(now, options.lockTtlMs ?? WEBHOOK_LOCK_TTL_MS), options.limit],
    );
    return rows.map((row) => withFields(deliveries.fromRow(row), { claimToken: row.claim_token as string })).sort(claimOrder);
  }

  async markDelivered(id: number, token: string): Promise<void> {
    await this.markDeliveredMany([{ id, token }]);
  }

  async markDeliveredMany(items: { id: number; token: string }[]): Promise<void> {
    // One statement: rows locked and tokens checked first; the update runs only when every
    // token still holds its pending delivery (see PostgresHookOutboxRepository.markDeliveredMany).
    const { rows } = await this.db.query<{ id: string; status: string | null }>(
      `WITH items AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS u(id, token)),
       locked AS (SELECT id, claim_token, status FROM webhook_outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE),
       refused AS (SELECT u.id, l.status FROM items u LEFT JOIN locked l ON l.id = u.id
                   WHERE l.claim_token IS DISTINCT FROM u.token OR l.status IS DISTINCT FROM 'pending'),
       updated AS (UPDATE webhook_outbox w SET status = 'delivered', delivered_at = $3, locked_at = NULL, lock_expires_at = NULL
                   FROM items u WHERE w.id = u.id AND NOT EXISTS (SELECT 1 FROM refused))
       SELECT id::text, status FROM refused ORDER BY id LIMIT 1`,
      [items.map((i) => i.id), items.map((i) => i.token), this.clock.now()],
    );
    const bad = rows[0];
    if (!bad) return;
    const id = Number(bad.id);
    if (bad.status === null) throw new NotFoundError('webhook delivery', id);
    throw new ConflictError(bad.status === 'pending' ? notHeldMessage('webhook delivery', id) : `webhook delivery ${id} is already ${bad.status}`);
  }

  async markFailed(
    id: number,
    token: string,
    error: string,
    nextAttemptAt: Date,
    maxAttempts = WEBHOOK_MAX_ATTEMPTS,
  ): Promise<'pending' | 'dead_letter'> {
    // The dead-letter rule of the domain (isDeadLetter: attempts >= maxAttempts) on the new count.
    const status = await this.transition(
      id,
      token,
      `attempt_count = attempt_count + 1, last_error = $1, next_attempt_at = $2, locked_at = NULL, lock_expires_at = NULL,
       claim_token = CASE WHEN attempt_count + 1 >= $3 THEN claim_token END,
       status = CASE WHEN attempt_count + 1 >= $3 THEN 'dead_letter' ELSE 'pending' END`,
      [error, nextAttemptAt, maxAttempts],
    );
    return status as 'pending' | 'dead_letter';
  }

  async markRejected(id: number, token: string, error: string): Promise<void> {
    await this.transition(id, token, "status = 'rejected', last_error = $1, locked_at = NULL, lock_expires_at = NULL", [error]);
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    await this.transition(id, token, 'locked_at = $1, lock_expires_at = $2', [now, new Date(now.getTime() + ttlMs)]);
  }

  async release(id: number, token: string): Promise<void> {
    await this.transition(id, token, 'locked_at = NULL, lock_expires_at = NULL, claim_token = NULL', []);
  }

  /** Applies `set` to a pending delivery held by `token`; returns its new status. */
  private async transition(id: number, token: string, set: string, params: unknown[]): Promise<string> {
    const guard = `claim_token = $${params.length + 1} AND status = 'pending'`;
    const { row, previous } = await guardedUpdate(
      this.db,
      { table: 'webhook_outbox', key: 'id', stateColumn: 'status', set, guard, returning: 'status', params: [...params, token] },
      id,
    );
    if (row) return row.status as string;
    if (previous === null) throw new NotFoundError('webhook delivery', id);
    throw new ConflictError(previous === 'pending' ? notHeldMessage('webhook delivery', id) : `webhook delivery ${id} is already ${previous}`);
  }
  async redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const { rowCount } = await this.db.query(
      `UPDATE webhook_outbox SET status = 'pending', attempt_count = 0, next_attempt_at = $1, claim_token = NULL
       WHERE status = 'dead_letter' AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [this.clock.now(), ids ?? null],
    );
    return rowCount ?? 0;
  }

  async purge(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM webhook_outbox
       WHERE status IN ('delivered', 'rejected', 'dead_letter') AND COALESCE(delivered_at, created_at) < $1`,
      [new Date(this.clock.now().getTime() - olderThanMs)],
    );
    return rowCount ?? 0;
  }

  stats(): Promise<QueueStats> {
    return postgresQueueStats(this.db, 'webhook', this.clock.now(), WEBHOOK_LOCK_TTL_MS);
  }
}
