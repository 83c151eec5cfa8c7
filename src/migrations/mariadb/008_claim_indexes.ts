import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';

/*
 * The hook outbox's claim order without dead letters, and the inbound queue's open messages
 * in id order (see the SQLite twin). MariaDB has no partial indexes: each leads with the
 * columns of the other engines' WHERE, which its COMMENT names (see 002_work_queues).
 */
export const migration: Omit<MariadbMigration, 'name'> = {
  up: `DROP INDEX idx_hook_outbox_claim_order ON hook_outbox;
CREATE INDEX idx_hook_outbox_claim_order ON hook_outbox (delivered_at, dead_at, created_at, id)
  COMMENT 'partial; filter: delivered_at, dead_at';
CREATE INDEX idx_inbound_queue_open ON inbound_queue (status, dead_at, id)
  COMMENT 'partial; filter: status, dead_at';
`,
  down: `DROP INDEX idx_inbound_queue_open ON inbound_queue;
DROP INDEX idx_hook_outbox_claim_order ON hook_outbox;
CREATE INDEX idx_hook_outbox_claim_order ON hook_outbox (delivered_at, created_at, id)
  COMMENT 'partial; filter: delivered_at';
`,
};
