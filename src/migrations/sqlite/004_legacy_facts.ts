import type { SqliteMigration } from '../../adapters/sqlite/sqlite-migrator.js';

/*
 * What an installation of the older daemon holds and 003 refused (see
 * ../shared/legacy-teleclaude.md): agent_availability.reason is free text; a mirror may have
 * no source identity (NULL: no transcript; the unique key still allows several);
 * mirror_tombstones keeps the transcript's mtime exactly, as integer nanoseconds in text
 * (file_mtime_ns; the former epoch-milliseconds REAL is converted). SQLite cannot drop a
 * CHECK or a NOT NULL in place, so the three tables are rebuilt with their rows, ids and
 * indexes; the mirrors' full-text index keeps its content because the ids do not change.
 */
const MIRROR_COLUMNS =
  'id, session_id, source_identity, computer, agent, project, title, timestamp_start, timestamp_end, conversation_text, message_count, metadata, created_at, updated_at';

const mirrorIndexesAndTriggers = `
CREATE INDEX idx_mirrors_timestamp_start ON mirrors (timestamp_start);
CREATE INDEX idx_mirrors_agent ON mirrors (agent);
CREATE INDEX idx_mirrors_project ON mirrors (project);
CREATE INDEX idx_mirrors_session_id ON mirrors (session_id);
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
`;

const mirrors = (identity: string) => `
CREATE TABLE mirrors_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT,
  source_identity TEXT${identity},
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
INSERT INTO mirrors_new (${MIRROR_COLUMNS}) SELECT ${MIRROR_COLUMNS} FROM mirrors;
DROP TABLE mirrors;
ALTER TABLE mirrors_new RENAME TO mirrors;
${mirrorIndexesAndTriggers}`;

const availability = (reasonCheck: string) => `
CREATE TABLE agent_availability_new (
  agent TEXT PRIMARY KEY NOT NULL,
  available INTEGER_BOOL NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
  unavailable_until INTEGER_MS,
  degraded_until INTEGER_MS,
  reason TEXT${reasonCheck}
);
INSERT INTO agent_availability_new SELECT agent, available, unavailable_until, degraded_until, reason FROM agent_availability;
DROP TABLE agent_availability;
ALTER TABLE agent_availability_new RENAME TO agent_availability;
`;

export const migration: Omit<SqliteMigration, 'name'> = {
  up: `
${availability('')}
${mirrors('')}
CREATE TABLE mirror_tombstones_new (
  source_identity TEXT PRIMARY KEY NOT NULL,
  agent TEXT NOT NULL,
  transcript_path TEXT,
  file_size INTEGER,
  file_mtime_ns TEXT CHECK (file_mtime_ns <> '' AND file_mtime_ns NOT GLOB '*[^0-9]*'),
  created_at INTEGER_MS NOT NULL
);
INSERT INTO mirror_tombstones_new
  SELECT source_identity, agent, transcript_path, file_size,
    -- In integers: the whole milliseconds times 10^6 would lose digits as a REAL.
    CASE WHEN file_mtime IS NULL OR file_mtime < 0 THEN NULL
      ELSE CAST(CAST(file_mtime AS INTEGER) * 1000000 + CAST(round((file_mtime - CAST(file_mtime AS INTEGER)) * 1000000) AS INTEGER) AS TEXT) END,
    created_at
  FROM mirror_tombstones;
DROP TABLE mirror_tombstones;
ALTER TABLE mirror_tombstones_new RENAME TO mirror_tombstones;
`,
  // Going back refuses what 003 cannot hold: NULL identities, and reasons outside its list.
  down: `
CREATE TABLE mirror_tombstones_old (
  source_identity TEXT PRIMARY KEY NOT NULL,
  agent TEXT NOT NULL,
  transcript_path TEXT,
  file_size INTEGER,
  file_mtime REAL,
  created_at INTEGER_MS NOT NULL
);
INSERT INTO mirror_tombstones_old
  SELECT source_identity, agent, transcript_path, file_size, CAST(file_mtime_ns AS REAL) / 1000000, created_at FROM mirror_tombstones;
DROP TABLE mirror_tombstones;
ALTER TABLE mirror_tombstones_old RENAME TO mirror_tombstones;
${mirrors(' NOT NULL')}
${availability(` CHECK (reason IN ('quota_exhausted', 'rate_limited', 'service_outage')
    OR (substr(reason, 1, 9) = 'degraded:' AND length(reason) > 9))`)}
`,
};
