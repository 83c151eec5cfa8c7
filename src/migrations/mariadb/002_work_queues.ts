import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';
import { TABLE } from './table-options.js';

/*
 * The work queues. Queue rows carry the session id without a foreign key: the hook
 * receiver and the platform adapters must never lose an event because its session row
 * is not (or no longer) there; expireForSession and the purges clean up instead.
 *
 * MariaDB has no partial indexes. The two partial unique indexes of the other engines
 * cover exactly the rows whose key column is not NULL, and a MariaDB unique index never
 * compares NULLs equal, so a plain unique index over the same columns accepts and refuses
 * the same rows. The two partial claim-order indexes lead with the column of their
 * predicate instead (`delivered_at IS NULL`, `status = 'pending'` select one prefix of
 * the index, ordered by created_at, id). Each says so in its COMMENT: 'partial', with
 * 'filter: <column>' naming a leading column that only carries the predicate, which the
 * inspector (mariadb-inspector.ts) reads to report the other engines' partial index.
 * A foreign key's index is declared in the table, so InnoDB adds no index of its own.
 */
export const migration: Omit<MariadbMigration, 'name'> = {
  up: `
CREATE TABLE hook_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  session_id VARCHAR(255) NOT NULL,
  event_type LONGTEXT NOT NULL,
  payload LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  next_attempt_at BIGINT NOT NULL COMMENT 'timestamp',
  attempt_count INT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  last_error LONGTEXT,
  delivered_at BIGINT COMMENT 'timestamp',
  locked_at BIGINT COMMENT 'timestamp'
)${TABLE};
CREATE INDEX idx_hook_outbox_due ON hook_outbox (delivered_at, next_attempt_at);
CREATE INDEX idx_hook_outbox_claim_order ON hook_outbox (delivered_at, created_at, id)
  COMMENT 'partial; filter: delivered_at';

CREATE TABLE inbound_queue (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  session_id VARCHAR(255) NOT NULL,
  origin VARCHAR(255) NOT NULL,
  message_type VARCHAR(255) NOT NULL CHECK (message_type IN ('text', 'voice', 'file')),
  content LONGTEXT NOT NULL DEFAULT '',
  payload LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  actor_id LONGTEXT,
  actor_name LONGTEXT,
  actor_avatar_url LONGTEXT,
  status VARCHAR(255) NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'delivered', 'failed', 'expired')),
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  processed_at BIGINT COMMENT 'timestamp',
  attempt_count INT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  next_retry_at BIGINT COMMENT 'timestamp',
  last_error LONGTEXT,
  locked_at BIGINT COMMENT 'timestamp',
  source_message_id VARCHAR(255),
  source_channel_id LONGTEXT
)${TABLE};
CREATE UNIQUE INDEX idx_inbound_queue_source ON inbound_queue (origin, source_message_id)
  COMMENT 'partial';
CREATE INDEX idx_inbound_queue_session_status ON inbound_queue (session_id, status, next_retry_at);

CREATE TABLE operations (
  operation_id VARCHAR(255) NOT NULL PRIMARY KEY,
  kind VARCHAR(255) NOT NULL,
  caller_session_id VARCHAR(255) NOT NULL,
  cwd LONGTEXT,
  payload LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  client_request_id VARCHAR(255),
  slug LONGTEXT,
  state VARCHAR(255) NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'completed', 'failed', 'stale', 'cancelled')),
  progress_phase LONGTEXT,
  progress_decision LONGTEXT,
  progress_reason LONGTEXT,
  result_text LONGTEXT,
  error_text LONGTEXT,
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  updated_at BIGINT NOT NULL COMMENT 'timestamp',
  started_at BIGINT COMMENT 'timestamp',
  completed_at BIGINT COMMENT 'timestamp',
  heartbeat_at BIGINT COMMENT 'timestamp',
  attempt_count INT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0)
)${TABLE};
CREATE UNIQUE INDEX idx_operations_request ON operations (kind, caller_session_id, client_request_id)
  COMMENT 'partial';
CREATE INDEX idx_operations_state ON operations (state);
CREATE INDEX idx_operations_caller ON operations (caller_session_id, kind);

CREATE TABLE webhook_contracts (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  contract LONGTEXT NOT NULL COMMENT 'json',
  active BOOLEAN NOT NULL DEFAULT true CHECK (active IN (0, 1)),
  source LONGTEXT NOT NULL DEFAULT 'api',
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  updated_at BIGINT NOT NULL COMMENT 'timestamp'
)${TABLE};

CREATE TABLE webhook_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  contract_id VARCHAR(255) NOT NULL,
  event LONGTEXT NOT NULL COMMENT 'json',
  target_url LONGTEXT NOT NULL,
  target_secret LONGTEXT,
  status VARCHAR(255) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead_letter', 'rejected')),
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  delivered_at BIGINT COMMENT 'timestamp',
  attempt_count INT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  next_attempt_at BIGINT NOT NULL COMMENT 'timestamp',
  last_error LONGTEXT,
  locked_at BIGINT COMMENT 'timestamp',
  INDEX idx_webhook_outbox_contract_id (contract_id),
  CONSTRAINT webhook_outbox_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES webhook_contracts (id) ON DELETE CASCADE
)${TABLE};
CREATE INDEX idx_webhook_outbox_due ON webhook_outbox (status, next_attempt_at);
CREATE INDEX idx_webhook_outbox_claim_order ON webhook_outbox (status, created_at, id)
  COMMENT 'partial; filter: status';
`,
  down: `
DROP TABLE webhook_outbox;
DROP TABLE webhook_contracts;
DROP TABLE operations;
DROP TABLE inbound_queue;
DROP TABLE hook_outbox;
`,
};
