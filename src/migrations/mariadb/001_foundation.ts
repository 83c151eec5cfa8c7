import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';
import { TABLE } from './table-options.js';

/*
 * Types (see docs/architecture.md, and the twins in ../postgres and ../sqlite):
 * - text that is a key or is indexed is VARCHAR(255) (VARCHAR(768) for a transcript's
 *   source identity), other text LONGTEXT; every table's collation is utf8mb4_nopad_bin
 *   (TABLE), so text compares and sorts by code point,
 *   case-sensitively and without ignoring trailing spaces, as PostgreSQL's "C" collation
 *   and SQLite's BINARY do;
 * - instants are BIGINT epoch milliseconds (UTC), as on SQLite: exact over years 1-9999
 *   whatever the session time zone, with COMMENT 'timestamp' telling tools their kind;
 * - booleans are BOOLEAN (TINYINT(1)) checked to 0/1;
 * - JSON is LONGTEXT with COMMENT 'json'. There is no CHECK (json_valid(...)): MariaDB's
 *   JSON functions refuse documents nested deeper than 32 levels, and the package stores
 *   up to 100 (the repositories only ever write JSON.stringify output).
 * Every statement ends with `;` at the end of a line, and no line inside one does.
 */
export const migration: Omit<MariadbMigration, 'name'> = {
  up: `
CREATE TABLE sessions (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  computer_name VARCHAR(255) NOT NULL CHECK (computer_name <> ''),
  title LONGTEXT NOT NULL,
  tmux_session_name LONGTEXT,
  last_input_origin LONGTEXT NOT NULL DEFAULT 'telegram',
  lifecycle_status VARCHAR(255) NOT NULL DEFAULT 'active'
    CHECK (lifecycle_status IN ('initializing', 'active', 'headless', 'closing', 'closed')),
  adapter_metadata LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  session_metadata LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  project_path LONGTEXT,
  subdir LONGTEXT,
  description LONGTEXT,
  terminal_size LONGTEXT NOT NULL DEFAULT '80x24',
  initiated_by_ai BOOLEAN NOT NULL DEFAULT false CHECK (initiated_by_ai IN (0, 1)),
  initiator_session_id VARCHAR(255),
  output_message_id LONGTEXT,
  notification_sent BOOLEAN NOT NULL DEFAULT false CHECK (notification_sent IN (0, 1)),
  native_session_id VARCHAR(255),
  native_log_file LONGTEXT,
  active_agent LONGTEXT,
  thinking_mode LONGTEXT,
  tui_log_file LONGTEXT,
  tui_capture_started BOOLEAN NOT NULL DEFAULT false CHECK (tui_capture_started IN (0, 1)),
  last_message_sent LONGTEXT,
  last_message_sent_at BIGINT COMMENT 'timestamp',
  last_output_raw LONGTEXT,
  last_output_at BIGINT COMMENT 'timestamp',
  last_output_summary LONGTEXT,
  last_output_digest LONGTEXT,
  last_tool_use_at BIGINT COMMENT 'timestamp',
  last_tool_done_at BIGINT COMMENT 'timestamp',
  last_checkpoint_at BIGINT COMMENT 'timestamp',
  working_slug LONGTEXT,
  human_email LONGTEXT,
  human_role LONGTEXT,
  last_memory_extraction_at BIGINT COMMENT 'timestamp',
  help_desk_processed_at BIGINT COMMENT 'timestamp',
  relay_status LONGTEXT,
  relay_discord_channel_id LONGTEXT,
  relay_started_at BIGINT COMMENT 'timestamp',
  char_offset INT NOT NULL DEFAULT 0 CHECK (char_offset >= 0),
  transcript_files LONGTEXT NOT NULL DEFAULT '[]' COMMENT 'json',
  visibility LONGTEXT NOT NULL DEFAULT 'private',
  principal LONGTEXT,
  turn_triggered_by_linked_output BOOLEAN NOT NULL DEFAULT false CHECK (turn_triggered_by_linked_output IN (0, 1)),
  owner_person VARCHAR(255),
  owner_uid BIGINT,
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  last_activity BIGINT NOT NULL COMMENT 'timestamp',
  closed_at BIGINT COMMENT 'timestamp'
)${TABLE};
CREATE INDEX idx_sessions_closed_at ON sessions (closed_at);
CREATE INDEX idx_sessions_lifecycle_status ON sessions (lifecycle_status);
CREATE INDEX idx_sessions_last_activity ON sessions (last_activity DESC);
CREATE INDEX idx_sessions_native_session_id ON sessions (native_session_id);
CREATE INDEX idx_sessions_initiator_session_id ON sessions (initiator_session_id);
CREATE INDEX idx_sessions_computer_name ON sessions (computer_name);
CREATE INDEX idx_sessions_owner_person ON sessions (owner_person);

CREATE TABLE voice_assignments (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  service_name LONGTEXT NOT NULL,
  voice LONGTEXT NOT NULL DEFAULT '',
  assigned_at BIGINT NOT NULL COMMENT 'timestamp'
)${TABLE};
CREATE INDEX idx_voice_assignments_assigned_at ON voice_assignments (assigned_at);

CREATE TABLE system_settings (
  \`key\` VARCHAR(255) NOT NULL PRIMARY KEY,
  value LONGTEXT NOT NULL,
  updated_at BIGINT NOT NULL COMMENT 'timestamp'
)${TABLE};
`,
  down: `
DROP TABLE system_settings;
DROP TABLE voice_assignments;
DROP TABLE sessions;
`,
};
