import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';

/*
 * Declared types carry the domain kind for tools that read the schema (the parity test,
 * `check`, `copy`): INTEGER_MS = epoch milliseconds (UTC), INTEGER_BOOL = 0/1,
 * TEXT_JSON = JSON text. Their SQLite affinity is that of INTEGER and TEXT.
 */
export const migration: Omit<SqliteMigration, 'name'> = {
  up: `
CREATE TABLE sessions (
  id TEXT PRIMARY KEY NOT NULL,
  computer_name TEXT NOT NULL CHECK (computer_name <> ''),
  title TEXT NOT NULL,
  tmux_session_name TEXT,
  last_input_origin TEXT NOT NULL DEFAULT 'telegram',
  lifecycle_status TEXT NOT NULL DEFAULT 'active'
    CHECK (lifecycle_status IN ('initializing', 'active', 'headless', 'closing', 'closed')),
  adapter_metadata TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(adapter_metadata)),
  session_metadata TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(session_metadata)),
  project_path TEXT,
  subdir TEXT,
  description TEXT,
  terminal_size TEXT NOT NULL DEFAULT '80x24',
  initiated_by_ai INTEGER_BOOL NOT NULL DEFAULT 0 CHECK (initiated_by_ai IN (0, 1)),
  initiator_session_id TEXT,
  output_message_id TEXT,
  notification_sent INTEGER_BOOL NOT NULL DEFAULT 0 CHECK (notification_sent IN (0, 1)),
  native_session_id TEXT,
  native_log_file TEXT,
  active_agent TEXT,
  thinking_mode TEXT,
  tui_log_file TEXT,
  tui_capture_started INTEGER_BOOL NOT NULL DEFAULT 0 CHECK (tui_capture_started IN (0, 1)),
  last_message_sent TEXT,
  last_message_sent_at INTEGER_MS,
  last_output_raw TEXT,
  last_output_at INTEGER_MS,
  last_output_summary TEXT,
  last_output_digest TEXT,
  last_tool_use_at INTEGER_MS,
  last_tool_done_at INTEGER_MS,
  last_checkpoint_at INTEGER_MS,
  working_slug TEXT,
  human_email TEXT,
  human_role TEXT,
  last_memory_extraction_at INTEGER_MS,
  help_desk_processed_at INTEGER_MS,
  relay_status TEXT,
  relay_discord_channel_id TEXT,
  relay_started_at INTEGER_MS,
  char_offset INTEGER NOT NULL DEFAULT 0 CHECK (char_offset >= 0),
  transcript_files TEXT_JSON NOT NULL DEFAULT '[]' CHECK (json_valid(transcript_files)),
  visibility TEXT NOT NULL DEFAULT 'private',
  principal TEXT,
  turn_triggered_by_linked_output INTEGER_BOOL NOT NULL DEFAULT 0 CHECK (turn_triggered_by_linked_output IN (0, 1)),
  owner_person TEXT,
  owner_uid INTEGER,
  created_at INTEGER_MS NOT NULL,
  last_activity INTEGER_MS NOT NULL,
  closed_at INTEGER_MS
);
CREATE INDEX idx_sessions_closed_at ON sessions (closed_at);
CREATE INDEX idx_sessions_lifecycle_status ON sessions (lifecycle_status);
CREATE INDEX idx_sessions_last_activity ON sessions (last_activity DESC);
CREATE INDEX idx_sessions_native_session_id ON sessions (native_session_id);
CREATE INDEX idx_sessions_initiator_session_id ON sessions (initiator_session_id);
CREATE INDEX idx_sessions_computer_name ON sessions (computer_name);
CREATE INDEX idx_sessions_owner_person ON sessions (owner_person);

CREATE TABLE voice_assignments (
  id TEXT PRIMARY KEY NOT NULL,
  service_name TEXT NOT NULL,
  voice TEXT NOT NULL DEFAULT '',
  assigned_at INTEGER_MS NOT NULL
);
CREATE INDEX idx_voice_assignments_assigned_at ON voice_assignments (assigned_at);

CREATE TABLE system_settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER_MS NOT NULL
);
`,
  down: `
DROP TABLE system_settings;
DROP TABLE voice_assignments;
DROP TABLE sessions;
`,
};
