import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { sqliteQueueStats } from './sqlite-queue-stats.js';
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
import { SqliteCodec } from './sqlite-codec.js';
import { claimOutboxRows, outboxClaimStatements } from './sqlite-outbox-claim.js';
import type { SqliteExecutor } from './sqlite-database.js';

const contracts = new SqliteCodec(webhookContractFields);
const deliveries = new SqliteCodec(webhookDeliveryFields);
const UPSERT_CONTRACT = `INSERT INTO webhook_contracts (id, contract, active, source, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET contract = excluded.contract, source = excluded.source, active = 1, updated_at = excluded.updated_at
  RETURNING ${contracts.columnList}`;
const GET_CONTRACT = `SELECT ${contracts.columnList} FROM webhook_contracts WHERE id = ?`;
const DEACTIVATE = `UPDATE webhook_contracts SET active = 0, updated_at = ? WHERE id = ? RETURNING ${contracts.columnList}`;
const LIST_CONTRACTS = `SELECT ${contracts.columnList} FROM webhook_contracts ORDER BY id`;
const LIST_ACTIVE_CONTRACTS = `SELECT ${contracts.columnList} FROM webhook_contracts WHERE active = 1 ORDER BY id`;
const ENQUEUE = `INSERT INTO webhook_outbox (contract_id, event, target_url, target_secret, created_at, next_attempt_at)
  VALUES (?, ?, ?, ?, ?, ?) RETURNING id`;
const GET_DELIVERY = `SELECT ${deliveries.columnList} FROM webhook_outbox WHERE id = ?`;
const REDRIVE = "UPDATE webhook_outbox SET status = 'pending', attempt_count = 0, next_attempt_at = ?, claim_token = NULL WHERE status = 'dead_letter'";
const REDRIVE_IDS = `${REDRIVE} AND id IN (SELECT value FROM json_each(?))`;
/** Index of the claim_token after the columns of a claimed row. */
const TOKEN = deliveries.columnList.split(', ').length;

/** A guarded update of a pending delivery held by the token, returning its new status. */
const transition = (set: string) => `UPDATE webhook_outbox SET ${set} WHERE id = ? AND claim_token = ? AND status = 'pending' RETURNING status`;
const DELIVER = transition("status = 'delivered', delivered_at = ?, locked_at = NULL, lock_expires_at = NULL");
// The dead-letter rule of the domain (isDeadLetter: attempts >= maxAttempts) on the new count.
const FAIL = transition(`attempt_count = attempt_count + 1, last_error = ?, next_attempt_at = ?, locked_at = NULL, lock_expires_at = NULL,
  claim_token = CASE WHEN attempt_count + 1 >= ? THEN claim_token END,
  status = CASE WHEN attempt_count + 1 >= ? THEN 'dead_letter' ELSE 'pending' END`);
const REJECT = transition("status = 'rejected', last_error = ?, locked_at = NULL, lock_expires_at = NULL");
const EXTEND = transition('locked_at = ?, lock_expires_at = ?');
const RELEASE = transition('locked_at = NULL, lock_expires_at = NULL, claim_token = NULL');
const CLAIM = outboxClaimStatements('webhook_outbox', 'idx_webhook_outbox_claim_order', "status = 'pending'", deliveries.columnList);

export class SqliteWebhookRepository implements WebhookRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  upsertContract(input: WebhookContractInput): Promise<WebhookContract> {
    const now = this.clock.now().getTime();
    const contract = JSON.stringify(input.contract);
    return this.db.run(() => contracts.fromArray(this.db.prepareRaw(UPSERT_CONTRACT).get(input.id, contract, input.source, now, now) as unknown[]));
  }

  getContract(id: string): Promise<WebhookContract | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET_CONTRACT).get(id) as unknown[] | undefined;
      return row === undefined ? null : contracts.fromArray(row);
    });
  }

  deactivate(id: string): Promise<WebhookContract> {
    const now = this.clock.now().getTime();
    return this.db.run(() => {
      const row = this.db.prepareRaw(DEACTIVATE).get(now, id) as unknown[] | undefined;
      if (row === undefined) throw new NotFoundError('webhook contract', id);
      return contracts.fromArray(row);
    });
  }

  listContracts(options: { activeOnly?: boolean } = {}): Promise<WebhookContract[]> {
    const sql = options.activeOnly ? LIST_ACTIVE_CONTRACTS : LIST_CONTRACTS;
    return this.db.run(() => (this.db.prepareRaw(sql).all() as unknown[][]).map((row) => contracts.fromArray(row)));
  }

  enqueue(input: WebhookEnqueueInput): Promise<number> {
    const now = this.clock.now().getTime();
    const next = input.nextAttemptAt ? (input.nextAttemptAt as Date).getTime() : now;
    const event = JSON.stringify(input.event);
    return this.db.run(
      () => (this.db.prepareRaw(ENQUEUE).get(input.contractId, event, input.targetUrl, input.targetSecret ?? null, now, next) as [number])[0],
    );
  }

  getDelivery(id: number): Promise<WebhookDelivery | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET_DELIVERY).get(id) as unknown[] | undefined;
      return row === undefined ? null : deliveries.fromArray(row);
    });
  }

  claimBatch(options: ClaimBatchOptions): Promise<Claimed<WebhookDelivery>[]> {
    const now = this.clock.now();
    const cutoff = lockCutoff(now, options.lockTtlMs ?? WEBHOOK_LOCK_TTL_MS).getTime();
    // See SqliteHookOutboxRepository.claimBatch.
    return this.db
      .immediate(() => claimOutboxRows(this.db, CLAIM, now.getTime(), cutoff, options.limit))
      .then((rows) =>
        rows
          .map((row) => {
            const claimed = deliveries.fromArray(row) as Claimed<WebhookDelivery>;
            claimed.claimToken = row[TOKEN] as string;
            return claimed;
          })
          .sort(claimOrder),
      );
  }

  async markDelivered(id: number, token: string): Promise<void> {
    await this.transition(id, token, DELIVER, [this.clock.now().getTime()]);
  }

  markDeliveredMany(items: { id: number; token: string }[]): Promise<void> {
    const now = this.clock.now().getTime();
    // One transaction for the batch: a stale token rolls the whole batch back.
    return this.db.immediate(() => {
      for (const item of items) this.apply(item.id, item.token, DELIVER, [now]);
    });
  }

  async markFailed(
    id: number,
    token: string,
    error: string,
    nextAttemptAt: Date,
    maxAttempts = WEBHOOK_MAX_ATTEMPTS,
  ): Promise<'pending' | 'dead_letter'> {
    const row = await this.transition(id, token, FAIL, [error, nextAttemptAt.getTime(), maxAttempts, maxAttempts]);
    return row.status as 'pending' | 'dead_letter';
  }

  async markRejected(id: number, token: string, error: string): Promise<void> {
    await this.transition(id, token, REJECT, [error]);
  }

  async extend(id: number, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    await this.transition(id, token, EXTEND, [now, now + ttlMs]);
  }

  async release(id: number, token: string): Promise<void> {
    await this.transition(id, token, RELEASE, []);
  }

  /** Applies the transition `sql` to a pending delivery held by `token`; returns its new status. */
  private transition(id: number, token: string, sql: string, params: unknown[]): Promise<{ status: string }> {
    return this.db.run(() => this.apply(id, token, sql, params));
  }

  private apply(id: number, token: string, sql: string, params: unknown[]): { status: string } {
    // Not pushed onto `params`: the work may run again when it waited for the write lock.
    const row = this.db.prepare(sql).get(...params, id, token);
    if (row) return row as { status: string };
    const status = this.db.prepare('SELECT status FROM webhook_outbox WHERE id = ?').pluck().get(id) as string | undefined;
    if (status === undefined) throw new NotFoundError('webhook delivery', id);
    throw new ConflictError(status === 'pending' ? notHeldMessage('webhook delivery', id) : `webhook delivery ${id} is already ${status}`);
  }
  redrive(options?: RedriveOptions): Promise<number> {
    const { ids } = (options ?? {}) as { ids?: number[] };
    const now = this.clock.now().getTime();
    return this.db.run(() => (ids ? this.db.prepare(REDRIVE_IDS).run(now, JSON.stringify(ids)) : this.db.prepare(REDRIVE).run(now)).changes);
  }

  purge(olderThanMs: number): Promise<number> {
    const cutoff = this.clock.now().getTime() - olderThanMs;
    return this.db.run(
      () =>
        this.db
          .prepare(
            `DELETE FROM webhook_outbox
             WHERE status IN ('delivered', 'rejected', 'dead_letter') AND COALESCE(delivered_at, created_at) < ?`,
          )
          .run(cutoff).changes,
    );
  }

  stats(): Promise<QueueStats> {
    return sqliteQueueStats(this.db, 'webhook', this.clock.now(), WEBHOOK_LOCK_TTL_MS);
  }
}

