import type { PostgresMigration } from '../../adapters/postgres/postgres-migrator.js';

/*
 * The hook outbox's claim order without dead letters, and the inbound queue's open messages
 * in id order (see the SQLite twin). The old claim-order index is dropped and the new ones
 * built in the migration's transaction, not CONCURRENTLY (which needs a direct connection and a
 * migration per statement): the drop is instant, and the migrator's lock_timeout makes it give
 * up rather than queue the outbox's writers behind it; the builds hold the two tables' writers
 * for as long as they take, a fraction of a second on queues whose finished rows are purged
 * (purgeDelivered, cleanup).
 */
export const migration: Omit<PostgresMigration, 'name'> = {
  up: `-- squawk-ignore require-concurrent-index-deletion
DROP INDEX idx_hook_outbox_claim_order;
CREATE INDEX idx_hook_outbox_claim_order ON hook_outbox (created_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX idx_inbound_queue_open ON inbound_queue (id) WHERE status IN ('pending', 'failed', 'processing') AND dead_at IS NULL;
`,
  down: `DROP INDEX idx_inbound_queue_open;
DROP INDEX idx_hook_outbox_claim_order;
CREATE INDEX idx_hook_outbox_claim_order ON hook_outbox (created_at, id) WHERE delivered_at IS NULL;
`,
};
