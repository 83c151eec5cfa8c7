import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';

/*
 * The work queues. Queue rows carry the session id without a foreign key: the hook
 * receiver and the platform adapters must never lose an event because its session row
 * is not (or no longer) there; expireForSession and the purges clean up instead.
 */
export const migration: Omit<SqliteMigration, 'name'> = {
  up: `
CREATE TABLE hook_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  created_at INTEGER_MS NOT NULL,
  next_attempt_at INTEGER_MS NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  last_error TEXT,
  delivered_at INTEGER_MS,
  locked_at INTEGER_MS
);
CREATE INDEX idx_hook_outbox_due ON hook_outbox (delivered_at, next_attempt_at);
-- Claims take the oldest undelivered rows: this index serves that order without sorting every due row.
CREATE INDEX idx_hook_outbox_claim_order ON hook_outbox (created_at, id) WHERE delivered_at IS NULL;

CREATE TABLE inbound_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL,
  origin TEXT NOT NULL,
  message_type TEXT NOT NULL CHECK (message_type IN ('text', 'voice', 'file')),
  content TEXT NOT NULL DEFAULT '',
  payload TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  actor_id TEXT,
  actor_name TEXT,
  actor_avatar_url TEXT,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'delivered', 'failed', 'expired')),
  created_at INTEGER_MS NOT NULL,
  processed_at INTEGER_MS,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  next_retry_at INTEGER_MS,
  last_error TEXT,
  locked_at INTEGER_MS,
  source_message_id TEXT,
  source_channel_id TEXT
);
CREATE UNIQUE INDEX idx_inbound_queue_source ON inbound_queue (origin, source_message_id)
  WHERE source_message_id IS NOT NULL;
CREATE INDEX idx_inbound_queue_session_status ON inbound_queue (session_id, status, next_retry_at);

CREATE TABLE operations (
  operation_id TEXT PRIMARY KEY NOT NULL,
  kind TEXT NOT NULL,
  caller_session_id TEXT NOT NULL,
  cwd TEXT,
  payload TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  client_request_id TEXT,
  slug TEXT,
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'completed', 'failed', 'stale', 'cancelled')),
  progress_phase TEXT,
  progress_decision TEXT,
  progress_reason TEXT,
  result_text TEXT,
  error_text TEXT,
  created_at INTEGER_MS NOT NULL,
  updated_at INTEGER_MS NOT NULL,
  started_at INTEGER_MS,
  completed_at INTEGER_MS,
  heartbeat_at INTEGER_MS,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0)
);
CREATE UNIQUE INDEX idx_operations_request ON operations (kind, caller_session_id, client_request_id)
  WHERE client_request_id IS NOT NULL;
CREATE INDEX idx_operations_state ON operations (state);
CREATE INDEX idx_operations_caller ON operations (caller_session_id, kind);

CREATE TABLE webhook_contracts (
  id TEXT PRIMARY KEY NOT NULL,
  contract TEXT_JSON NOT NULL CHECK (json_valid(contract)),
  active INTEGER_BOOL NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  source TEXT NOT NULL DEFAULT 'api',
  created_at INTEGER_MS NOT NULL,
  updated_at INTEGER_MS NOT NULL
);

CREATE TABLE webhook_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  contract_id TEXT NOT NULL REFERENCES webhook_contracts (id) ON DELETE CASCADE,
  event TEXT_JSON NOT NULL CHECK (json_valid(event)),
  target_url TEXT NOT NULL,
  target_secret TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead_letter', 'rejected')),
  created_at INTEGER_MS NOT NULL,
  delivered_at INTEGER_MS,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  next_attempt_at INTEGER_MS NOT NULL,
  last_error TEXT,
  locked_at INTEGER_MS
);
CREATE INDEX idx_webhook_outbox_due ON webhook_outbox (status, next_attempt_at);
CREATE INDEX idx_webhook_outbox_claim_order ON webhook_outbox (created_at, id) WHERE status = 'pending';
CREATE INDEX idx_webhook_outbox_contract_id ON webhook_outbox (contract_id);
`,
  down: `
DROP TABLE webhook_outbox;
DROP TABLE webhook_contracts;
DROP TABLE operations;
DROP TABLE inbound_queue;
DROP TABLE hook_outbox;
`,
};
