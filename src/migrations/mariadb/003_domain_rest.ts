import type { MariadbMigration } from '../../adapters/mariadb/mariadb-migrator.js';
import { TABLE } from './table-options.js';

/*
 * Full-text search. InnoDB's FULLTEXT indexes do not fit the package's rules (words of
 * any length, no stop words, letters and digits of every script: domain/search.ts), so
 * each searchable row carries `search_words`, the JSON array of its distinct words
 * computed in JavaScript by those rules (mariadb-fts.ts, as PostgreSQL's bulk writers
 * compute its vector), and a word table holds one row per (row, word), indexed by word.
 * Triggers keep the word table in step with `search_words` for every writer: an insert
 * adds the row's words, an update that changes `search_words` replaces them, and a
 * delete removes them by the foreign key's cascade. A search requires, per query term,
 * a word row equal to it (or, for a prefix term, starting with it: LIKE on VARBINARY
 * compares bytes, and words hold only letters and digits, so no wildcard can hide in one).
 * Words are VARBINARY: they compare as bytes, after JavaScript lowercased them. Words over
 * 2047 bytes are left out, as PostgreSQL leaves them out of its vector.
 */
const words = (table: string, key: string) => `
CREATE TABLE ${table}_words (
  ${key} BIGINT NOT NULL,
  word VARBINARY(2047) NOT NULL,
  PRIMARY KEY (${key}, word),
  INDEX idx_${table}_words_word (word, ${key}),
  CONSTRAINT ${table}_words_${key}_fkey FOREIGN KEY (${key}) REFERENCES ${table} (id) ON DELETE CASCADE
)${TABLE};
CREATE TRIGGER ${table}_words_insert AFTER INSERT ON ${table} FOR EACH ROW
  INSERT INTO ${table}_words (${key}, word)
  SELECT NEW.id, w.word FROM JSON_TABLE(NEW.search_words, '$[*]' COLUMNS (word VARCHAR(2047) CHARACTER SET utf8mb4 PATH '$')) AS w;
CREATE TRIGGER ${table}_words_update_clear AFTER UPDATE ON ${table} FOR EACH ROW
  DELETE FROM ${table}_words WHERE ${key} = OLD.id AND NOT (NEW.search_words <=> OLD.search_words);
CREATE TRIGGER ${table}_words_update_fill AFTER UPDATE ON ${table} FOR EACH ROW FOLLOWS ${table}_words_update_clear
  INSERT INTO ${table}_words (${key}, word)
  SELECT NEW.id, w.word FROM JSON_TABLE(NEW.search_words, '$[*]' COLUMNS (word VARCHAR(2047) CHARACTER SET utf8mb4 PATH '$')) AS w
  WHERE NOT (NEW.search_words <=> OLD.search_words);`;

export const migration: Omit<MariadbMigration, 'name'> = {
  up: `
CREATE TABLE pending_message_deletions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  session_id VARCHAR(255) NOT NULL,
  message_id VARCHAR(255) NOT NULL,
  deletion_type VARCHAR(255) NOT NULL CHECK (deletion_type IN ('user_input', 'feedback')),
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  CONSTRAINT pending_message_deletions_session_message_type_key UNIQUE (session_id, message_id, deletion_type),
  CONSTRAINT pending_message_deletions_session_id_fkey FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
)${TABLE};

CREATE TABLE agent_availability (
  agent VARCHAR(255) NOT NULL PRIMARY KEY,
  available BOOLEAN NOT NULL DEFAULT true CHECK (available IN (0, 1)),
  unavailable_until BIGINT COMMENT 'timestamp',
  degraded_until BIGINT COMMENT 'timestamp',
  reason LONGTEXT,
  CONSTRAINT agent_availability_reason_check CHECK (reason IN ('quota_exhausted', 'rate_limited', 'service_outage')
    OR (substr(reason, 1, 9) = 'degraded:' AND char_length(reason) > 9))
)${TABLE};

CREATE TABLE session_listeners (
  target_session_id VARCHAR(255) NOT NULL,
  caller_session_id VARCHAR(255) NOT NULL,
  caller_tmux_session LONGTEXT NOT NULL,
  registered_at BIGINT NOT NULL COMMENT 'timestamp',
  PRIMARY KEY (target_session_id, caller_session_id)
)${TABLE};
CREATE INDEX idx_session_listeners_caller_session_id ON session_listeners (caller_session_id);

CREATE TABLE conversation_links (
  link_id VARCHAR(255) NOT NULL PRIMARY KEY,
  mode VARCHAR(255) NOT NULL CHECK (mode IN ('direct_link', 'gathering_link')),
  status VARCHAR(255) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_by_session_id LONGTEXT,
  metadata LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  updated_at BIGINT NOT NULL COMMENT 'timestamp',
  closed_at BIGINT COMMENT 'timestamp'
)${TABLE};
CREATE INDEX idx_conversation_links_status ON conversation_links (status);

CREATE TABLE conversation_link_members (
  link_id VARCHAR(255) NOT NULL,
  session_id VARCHAR(255) NOT NULL,
  participant_name LONGTEXT,
  participant_number INT,
  participant_role LONGTEXT,
  computer_name LONGTEXT,
  joined_at BIGINT NOT NULL COMMENT 'timestamp',
  PRIMARY KEY (link_id, session_id),
  CONSTRAINT conversation_link_members_link_id_fkey FOREIGN KEY (link_id) REFERENCES conversation_links (link_id) ON DELETE CASCADE
)${TABLE};
CREATE INDEX idx_conversation_link_members_session_id ON conversation_link_members (session_id);

CREATE TABLE session_tokens (
  token VARCHAR(255) NOT NULL PRIMARY KEY,
  session_id VARCHAR(255) NOT NULL,
  principal LONGTEXT NOT NULL,
  role LONGTEXT NOT NULL,
  issued_at BIGINT NOT NULL COMMENT 'timestamp',
  expires_at BIGINT NOT NULL COMMENT 'timestamp',
  revoked_at BIGINT COMMENT 'timestamp',
  INDEX idx_session_tokens_session_id (session_id),
  CONSTRAINT session_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
)${TABLE};

CREATE TABLE memory_observations (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  memory_session_id VARCHAR(255) NOT NULL,
  project VARCHAR(255) NOT NULL,
  type VARCHAR(255) NOT NULL
    CHECK (type IN ('preference', 'decision', 'discovery', 'gotcha', 'pattern', 'friction', 'context')),
  title LONGTEXT NOT NULL,
  subtitle LONGTEXT,
  facts LONGTEXT NOT NULL DEFAULT '[]' COMMENT 'json',
  narrative LONGTEXT,
  concepts LONGTEXT NOT NULL DEFAULT '[]' COMMENT 'json',
  files_read LONGTEXT,
  files_modified LONGTEXT,
  prompt_number INT,
  discovery_tokens INT NOT NULL DEFAULT 0,
  identity_key VARCHAR(255),
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  search_words LONGTEXT NOT NULL COMMENT 'search words'
)${TABLE};
CREATE INDEX idx_memory_observations_project_created_at ON memory_observations (project, created_at);
CREATE INDEX idx_memory_observations_memory_session_id ON memory_observations (memory_session_id);
CREATE INDEX idx_memory_observations_identity_key ON memory_observations (identity_key);
${words('memory_observations', 'observation_id')}

CREATE TABLE memory_summaries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  memory_session_id VARCHAR(255) NOT NULL,
  project VARCHAR(255) NOT NULL,
  request LONGTEXT,
  investigated LONGTEXT,
  learned LONGTEXT,
  completed LONGTEXT,
  next_steps LONGTEXT,
  created_at BIGINT NOT NULL COMMENT 'timestamp'
)${TABLE};
CREATE INDEX idx_memory_summaries_project_created_at ON memory_summaries (project, created_at);

CREATE TABLE memory_manual_sessions (
  memory_session_id VARCHAR(255) NOT NULL PRIMARY KEY,
  project VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  CONSTRAINT memory_manual_sessions_project_key UNIQUE (project)
)${TABLE};

CREATE TABLE mirrors (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  session_id VARCHAR(255),
  source_identity VARCHAR(768) NOT NULL,
  computer LONGTEXT,
  agent VARCHAR(255) NOT NULL,
  project VARCHAR(255),
  title LONGTEXT,
  timestamp_start BIGINT COMMENT 'timestamp',
  timestamp_end BIGINT COMMENT 'timestamp',
  conversation_text LONGTEXT NOT NULL DEFAULT '',
  message_count INT NOT NULL DEFAULT 0 CHECK (message_count >= 0),
  metadata LONGTEXT NOT NULL DEFAULT '{}' COMMENT 'json',
  created_at BIGINT NOT NULL COMMENT 'timestamp',
  updated_at BIGINT NOT NULL COMMENT 'timestamp',
  search_words LONGTEXT NOT NULL COMMENT 'search words',
  CONSTRAINT mirrors_source_identity_key UNIQUE (source_identity)
)${TABLE};
CREATE INDEX idx_mirrors_timestamp_start ON mirrors (timestamp_start);
CREATE INDEX idx_mirrors_agent ON mirrors (agent);
CREATE INDEX idx_mirrors_project ON mirrors (project);
CREATE INDEX idx_mirrors_session_id ON mirrors (session_id);
${words('mirrors', 'mirror_id')}

CREATE TABLE mirror_tombstones (
  source_identity VARCHAR(768) NOT NULL PRIMARY KEY,
  agent LONGTEXT NOT NULL,
  transcript_path LONGTEXT,
  file_size BIGINT,
  file_mtime DOUBLE,
  created_at BIGINT NOT NULL COMMENT 'timestamp'
)${TABLE};
`,
  down: `
DROP TABLE mirror_tombstones;
DROP TABLE mirrors_words;
DROP TABLE mirrors;
DROP TABLE memory_manual_sessions;
DROP TABLE memory_summaries;
DROP TABLE memory_observations_words;
DROP TABLE memory_observations;
DROP TABLE session_tokens;
DROP TABLE conversation_link_members;
DROP TABLE conversation_links;
DROP TABLE session_listeners;
DROP TABLE agent_availability;
DROP TABLE pending_message_deletions;
`,
};
