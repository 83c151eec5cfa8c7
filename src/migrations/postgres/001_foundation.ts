import type { PostgresMigration } from '../../adapters/postgres/postgres-migrator.js';

export const migration: Omit<PostgresMigration, 'name'> = {
  up: `
CREATE TABLE sessions (
  id text PRIMARY KEY,
  computer_name text NOT NULL CHECK (computer_name <> ''),
  title text NOT NULL,
  tmux_session_name text,
  last_input_origin text NOT NULL DEFAULT 'telegram',
  lifecycle_status text NOT NULL DEFAULT 'active'
    CHECK (lifecycle_status IN ('initializing', 'active', 'headless', 'closing', 'closed')),
  adapter_metadata jsonb NOT NULL DEFAULT '{}',
  session_metadata jsonb NOT NULL DEFAULT '{}',
  project_path text,
  subdir text,
  description text,
  terminal_size text NOT NULL DEFAULT '80x24',
  initiated_by_ai boolean NOT NULL DEFAULT false,
  initiator_session_id text,
  output_message_id text,
  notification_sent boolean NOT NULL DEFAULT false,
  native_session_id text,
  native_log_file text,
  active_agent text,
  thinking_mode text,
  tui_log_file text,
  tui_capture_started boolean NOT NULL DEFAULT false,
  last_message_sent text,
  last_message_sent_at timestamptz,
  last_output_raw text,
  last_output_at timestamptz,
  last_output_summary text,
  last_output_digest text,
  last_tool_use_at timestamptz,
  last_tool_done_at timestamptz,
  last_checkpoint_at timestamptz,
  working_slug text,
  human_email text,
  human_role text,
  last_memory_extraction_at timestamptz,
  help_desk_processed_at timestamptz,
  relay_status text,
  relay_discord_channel_id text,
  relay_started_at timestamptz,
  char_offset integer NOT NULL DEFAULT 0 CHECK (char_offset >= 0),
  transcript_files jsonb NOT NULL DEFAULT '[]',
  visibility text NOT NULL DEFAULT 'private',
  principal text,
  turn_triggered_by_linked_output boolean NOT NULL DEFAULT false,
  owner_person text,
  owner_uid bigint,
  created_at timestamptz NOT NULL,
  last_activity timestamptz NOT NULL,
  closed_at timestamptz
);
CREATE INDEX idx_sessions_closed_at ON sessions (closed_at);
CREATE INDEX idx_sessions_lifecycle_status ON sessions (lifecycle_status);
CREATE INDEX idx_sessions_last_activity ON sessions (last_activity DESC);
CREATE INDEX idx_sessions_native_session_id ON sessions (native_session_id);
CREATE INDEX idx_sessions_initiator_session_id ON sessions (initiator_session_id);
CREATE INDEX idx_sessions_computer_name ON sessions (computer_name);
CREATE INDEX idx_sessions_owner_person ON sessions (owner_person);

CREATE TABLE voice_assignments (
  id text PRIMARY KEY,
  service_name text NOT NULL,
  voice text NOT NULL DEFAULT '',
  assigned_at timestamptz NOT NULL
);
CREATE INDEX idx_voice_assignments_assigned_at ON voice_assignments (assigned_at);

CREATE TABLE system_settings (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL
);
`,
  down: `
DROP TABLE system_settings;
DROP TABLE voice_assignments;
DROP TABLE sessions;
`,
};
