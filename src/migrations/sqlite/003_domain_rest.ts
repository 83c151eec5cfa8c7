import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';

/*
 * Full-text search: FTS5 external-content tables kept in sync by triggers. The tokenizer
 * keeps letters (L*) and decimal digits (Nd) and folds case without removing diacritics:
 * the word rules of domain/search.ts, and what the PostgreSQL migration indexes. facts and
 * concepts are JSON arrays; their elements are indexed, not the JSON text (whose escapes
 * such as \n would glue letters onto words), so the observations' content is the view
 * memory_observations_search, which keeps the FTS5 'rebuild' and 'integrity-check'
 * commands correct. The delete triggers pass exactly the values the insert indexed, as
 * FTS5 external content requires.
 */
const TOKENIZE = `tokenize = "unicode61 remove_diacritics 0 categories 'L* Nd'"`;
const OBSERVATION_FTS_COLUMNS = 'title, subtitle, narrative, facts, concepts';
// Not json_each: FTS5 reads its content with virtual tables disallowed, and json_each is one.
const elements = (json: string) =>
  `(WITH RECURSIVE e(i, s) AS (SELECT 0, NULL UNION ALL
     SELECT i + 1, json_extract(${json}, '$[' || i || ']') FROM e WHERE i < json_array_length(${json}))
   SELECT group_concat(s, ' ') FROM e)`;
const observationValues = (row: 'new' | 'old') =>
  `${row}.id, ${row}.title, ${row}.subtitle, ${row}.narrative, ${elements(`${row}.facts`)}, ${elements(`${row}.concepts`)}`;

export const migration: Omit<SqliteMigration, 'name'> = {
  up: `
CREATE TABLE pending_message_deletions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  deletion_type TEXT NOT NULL CHECK (deletion_type IN ('user_input', 'feedback')),
  created_at INTEGER_MS NOT NULL,
  UNIQUE (session_id, message_id, deletion_type)
);

CREATE TABLE agent_availability (
  agent TEXT PRIMARY KEY NOT NULL,
  available INTEGER_BOOL NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
  unavailable_until INTEGER_MS,
  degraded_until INTEGER_MS,
  reason TEXT CHECK (reason IN ('quota_exhausted', 'rate_limited', 'service_outage')
    OR (substr(reason, 1, 9) = 'degraded:' AND length(reason) > 9))
);

CREATE TABLE session_listeners (
  target_session_id TEXT NOT NULL,
  caller_session_id TEXT NOT NULL,
  caller_tmux_session TEXT NOT NULL,
  registered_at INTEGER_MS NOT NULL,
  PRIMARY KEY (target_session_id, caller_session_id)
);
CREATE INDEX idx_session_listeners_caller_session_id ON session_listeners (caller_session_id);

CREATE TABLE conversation_links (
  link_id TEXT PRIMARY KEY NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('direct_link', 'gathering_link')),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_by_session_id TEXT,
  metadata TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at INTEGER_MS NOT NULL,
  updated_at INTEGER_MS NOT NULL,
  closed_at INTEGER_MS
);
CREATE INDEX idx_conversation_links_status ON conversation_links (status);

CREATE TABLE conversation_link_members (
  link_id TEXT NOT NULL REFERENCES conversation_links (link_id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  participant_name TEXT,
  participant_number INTEGER,
  participant_role TEXT,
  computer_name TEXT,
  joined_at INTEGER_MS NOT NULL,
  PRIMARY KEY (link_id, session_id)
);
CREATE INDEX idx_conversation_link_members_session_id ON conversation_link_members (session_id);

CREATE TABLE session_tokens (
  token TEXT PRIMARY KEY NOT NULL,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  principal TEXT NOT NULL,
  role TEXT NOT NULL,
  issued_at INTEGER_MS NOT NULL,
  expires_at INTEGER_MS NOT NULL,
  revoked_at INTEGER_MS
);
CREATE INDEX idx_session_tokens_session_id ON session_tokens (session_id);

CREATE TABLE memory_observations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_session_id TEXT NOT NULL,
  project TEXT NOT NULL,
  type TEXT NOT NULL
    CHECK (type IN ('preference', 'decision', 'discovery', 'gotcha', 'pattern', 'friction', 'context')),
  title TEXT NOT NULL,
  subtitle TEXT,
  facts TEXT_JSON NOT NULL DEFAULT '[]' CHECK (json_valid(facts)),
  narrative TEXT,
  concepts TEXT_JSON NOT NULL DEFAULT '[]' CHECK (json_valid(concepts)),
  files_read TEXT,
  files_modified TEXT,
  prompt_number INTEGER,
  discovery_tokens INTEGER NOT NULL DEFAULT 0,
  identity_key TEXT,
  created_at INTEGER_MS NOT NULL
);
CREATE INDEX idx_memory_observations_project_created_at ON memory_observations (project, created_at);
CREATE INDEX idx_memory_observations_memory_session_id ON memory_observations (memory_session_id);
CREATE INDEX idx_memory_observations_identity_key ON memory_observations (identity_key);

CREATE VIEW memory_observations_search AS
  SELECT id, title, subtitle, narrative, ${elements('facts')} AS facts, ${elements('concepts')} AS concepts
  FROM memory_observations;
CREATE VIRTUAL TABLE memory_observations_fts USING fts5(
  ${OBSERVATION_FTS_COLUMNS}, content = 'memory_observations_search', content_rowid = 'id', ${TOKENIZE}
);
CREATE TRIGGER memory_observations_fts_insert AFTER INSERT ON memory_observations BEGIN
  INSERT INTO memory_observations_fts (rowid, ${OBSERVATION_FTS_COLUMNS}) VALUES (${observationValues('new')});
END;
CREATE TRIGGER memory_observations_fts_delete AFTER DELETE ON memory_observations BEGIN
  INSERT INTO memory_observations_fts (memory_observations_fts, rowid, ${OBSERVATION_FTS_COLUMNS})
  VALUES ('delete', ${observationValues('old')});
END;
CREATE TRIGGER memory_observations_fts_update AFTER UPDATE ON memory_observations BEGIN
  INSERT INTO memory_observations_fts (memory_observations_fts, rowid, ${OBSERVATION_FTS_COLUMNS})
  VALUES ('delete', ${observationValues('old')});
  INSERT INTO memory_observations_fts (rowid, ${OBSERVATION_FTS_COLUMNS}) VALUES (${observationValues('new')});
END;

CREATE TABLE memory_summaries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  memory_session_id TEXT NOT NULL,
  project TEXT NOT NULL,
  request TEXT,
  investigated TEXT,
  learned TEXT,
  completed TEXT,
  next_steps TEXT,
  created_at INTEGER_MS NOT NULL
);
CREATE INDEX idx_memory_summaries_project_created_at ON memory_summaries (project, created_at);

CREATE TABLE memory_manual_sessions (
  memory_session_id TEXT PRIMARY KEY NOT NULL,
  project TEXT NOT NULL,
  created_at INTEGER_MS NOT NULL,
  UNIQUE (project)
);

CREATE TABLE mirrors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT,
  source_identity TEXT NOT NULL,
  computer TEXT,
  agent TEXT NOT NULL,
  project TEXT,
  title TEXT,
  timestamp_start INTEGER_MS,
  timestamp_end INTEGER_MS,
  conversation_text TEXT NOT NULL DEFAULT '',
  message_count INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0),
  metadata TEXT_JSON NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at INTEGER_MS NOT NULL,
  updated_at INTEGER_MS NOT NULL,
  UNIQUE (source_identity)
);
CREATE INDEX idx_mirrors_timestamp_start ON mirrors (timestamp_start);
CREATE INDEX idx_mirrors_agent ON mirrors (agent);
CREATE INDEX idx_mirrors_project ON mirrors (project);
CREATE INDEX idx_mirrors_session_id ON mirrors (session_id);

CREATE VIRTUAL TABLE mirrors_fts USING fts5(
  title, conversation_text, content = 'mirrors', content_rowid = 'id', ${TOKENIZE}
);
CREATE TRIGGER mirrors_fts_insert AFTER INSERT ON mirrors BEGIN
  INSERT INTO mirrors_fts (rowid, title, conversation_text) VALUES (new.id, new.title, new.conversation_text);
END;
CREATE TRIGGER mirrors_fts_delete AFTER DELETE ON mirrors BEGIN
  INSERT INTO mirrors_fts (mirrors_fts, rowid, title, conversation_text) VALUES ('delete', old.id, old.title, old.conversation_text);
END;
CREATE TRIGGER mirrors_fts_update AFTER UPDATE ON mirrors BEGIN
  INSERT INTO mirrors_fts (mirrors_fts, rowid, title, conversation_text) VALUES ('delete', old.id, old.title, old.conversation_text);
  INSERT INTO mirrors_fts (rowid, title, conversation_text) VALUES (new.id, new.title, new.conversation_text);
END;

CREATE TABLE mirror_tombstones (
  source_identity TEXT PRIMARY KEY NOT NULL,
  agent TEXT NOT NULL,
  transcript_path TEXT,
  file_size INTEGER,
  file_mtime REAL,
  created_at INTEGER_MS NOT NULL
);
`,
  down: `
DROP TABLE mirror_tombstones;
DROP TABLE mirrors_fts;
DROP TABLE mirrors;
DROP TABLE memory_manual_sessions;
DROP TABLE memory_summaries;
DROP TABLE memory_observations_fts;
DROP VIEW memory_observations_search;
DROP TABLE memory_observations;
DROP TABLE session_tokens;
DROP TABLE conversation_link_members;
DROP TABLE conversation_links;
DROP TABLE session_listeners;
DROP TABLE agent_availability;
DROP TABLE pending_message_deletions;
`,
};
