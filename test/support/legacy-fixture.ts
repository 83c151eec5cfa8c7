import Database from 'better-sqlite3';

/**
 * The older Python daemon's `teleclaude.db`, written by hand from the facts in
 * /work/shared/legacy-teleclaude.md and the daemon's own schema.sql and 35 migrations
 * (teleclaude/core/schema.sql, teleclaude/core/migrations/*.py): its table and column
 * names, its column order (migration 001 rebuilt `sessions`, later migrations appended
 * columns, 006 + 012 left `identity_key` last), its declared types and indexes (the
 * duplicate one on memory_observations included), its FTS5 tables and triggers, and
 * rows as its code writes them, with every oddity the facts list. Nothing here is read
 * from this package's schema or migrations: a fixture derived from them could never
 * differ from them.
 *
 * Besides the file, the generator returns what an import must make of it: for every row
 * (when `record` is on) the value each column must arrive with, by the legacy column
 * name, and the rows that must be rejected and why.
 */

/** The daemon's 35 migration files (012, 023 and 026 occur twice). */
export const LEGACY_MIGRATIONS = [
  '001_fix_sessions_tmux_nullable', '002_add_last_output_digest', '003_add_agent_output_fields', '004_add_checkpoint_fields',
  '005_add_memory_tables', '006_widen_observation_types', '007_rename_activity_columns', '008_add_human_identity_fields',
  '009_add_notification_outbox', '010_add_session_listeners', '011_rename_feedback_to_output_summary', '012_add_help_desk_session_fields',
  '012_add_memory_identity_key', '013_add_session_relay_columns', '014_add_memory_obs_identity_index', '015_add_session_char_offset',
  '016_add_transcript_files', '017_add_session_visibility', '018_add_session_metadata', '019_add_delivery_channel', '020_add_degraded_until',
  '021_add_conversation_links', '022_add_session_user_role', '023_backfill_human_role_from_user_role', '023_rename_hook_origin_terminal',
  '024_add_sessions_performance_indexes', '025_drop_notification_outbox', '026_add_mirrors_table', '026_add_operations',
  '027_prune_non_canonical_mirrors', '028_add_mirror_source_identity', '029_add_mirror_tombstones', '030_add_turn_triggered_by_linked_output',
  '031_add_session_tokens', '032_add_session_principal',
];

type Columns = [name: string, declaration: string][];

/** Each table as the daemon leaves it after every migration: columns in the order PRAGMA table_info reports them. */
const TABLES: Record<string, { columns: Columns; extra?: string[]; after?: string[] }> = {
  sessions: {
    columns: [
      ['session_id', 'TEXT PRIMARY KEY'], ['computer_name', 'TEXT NOT NULL'], ['title', 'TEXT'], ['tmux_session_name', 'TEXT'],
      ['last_input_origin', "TEXT NOT NULL DEFAULT 'telegram'"], ['adapter_metadata', 'TEXT'], ['created_at', 'TIMESTAMP DEFAULT CURRENT_TIMESTAMP'],
      ['last_activity', 'TIMESTAMP DEFAULT CURRENT_TIMESTAMP'], ['closed_at', 'TIMESTAMP'], ['terminal_size', "TEXT DEFAULT '80x24'"],
      ['project_path', 'TEXT'], ['subdir', 'TEXT'], ['description', 'TEXT'], ['initiated_by_ai', 'BOOLEAN DEFAULT 0'],
      ['initiator_session_id', 'TEXT'], ['output_message_id', 'TEXT'], ['notification_sent', 'INTEGER DEFAULT 0'], ['native_session_id', 'TEXT'],
      ['native_log_file', 'TEXT'], ['active_agent', 'TEXT'], ['thinking_mode', 'TEXT'], ['tui_log_file', 'TEXT'],
      ['tui_capture_started', 'INTEGER DEFAULT 0'], ['last_message_sent', 'TEXT'], ['last_message_sent_at', 'TEXT'], ['last_output_raw', 'TEXT'],
      ['last_output_at', 'TEXT'], ['working_slug', 'TEXT'], ['lifecycle_status', "TEXT DEFAULT 'active'"], ['last_output_summary', 'TEXT'],
      // appended by 002, 003/004 (renamed by 007), 008, 012, 013, 015-018, 030, 032
      ['last_output_digest', 'TEXT'], ['last_tool_done_at', 'TEXT'], ['last_tool_use_at', 'TEXT'], ['last_checkpoint_at', 'TEXT'],
      ['human_email', 'TEXT'], ['human_role', 'TEXT'], ['last_memory_extraction_at', 'TEXT'], ['help_desk_processed_at', 'TEXT'],
      ['relay_status', 'TEXT'], ['relay_discord_channel_id', 'TEXT'], ['relay_started_at', 'TEXT'], ['char_offset', 'INTEGER DEFAULT 0'],
      ['transcript_files', "TEXT DEFAULT '[]'"], ['visibility', "TEXT DEFAULT 'private'"], ['session_metadata', 'TEXT'],
      ['turn_triggered_by_linked_output', 'BOOLEAN NOT NULL DEFAULT 0'], ['principal', 'TEXT'],
    ],
    after: [
      'CREATE INDEX idx_sessions_closed_at ON sessions(closed_at)', 'CREATE INDEX idx_sessions_lifecycle_status ON sessions(lifecycle_status)',
      'CREATE INDEX idx_sessions_last_activity ON sessions(last_activity DESC)', 'CREATE INDEX idx_sessions_initiator ON sessions(initiator_session_id)',
    ],
  },
  voice_assignments: { columns: [['id', 'TEXT PRIMARY KEY'], ['service_name', 'TEXT'], ['voice', "TEXT DEFAULT ''"], ['assigned_at', 'TIMESTAMP DEFAULT CURRENT_TIMESTAMP']] },
  pending_message_deletions: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['session_id', 'TEXT NOT NULL'], ['message_id', 'TEXT NOT NULL'],
      ['deletion_type', "TEXT NOT NULL CHECK(deletion_type IN ('user_input', 'feedback'))"], ['created_at', 'TEXT DEFAULT CURRENT_TIMESTAMP']],
    extra: ['UNIQUE(session_id, message_id, deletion_type)', 'FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE'],
  },
  system_settings: { columns: [['key', 'TEXT PRIMARY KEY'], ['value', 'TEXT NOT NULL'], ['updated_at', 'TIMESTAMP DEFAULT CURRENT_TIMESTAMP']] },
  agent_availability: {
    // degraded_until appended by 020
    columns: [['agent', 'TEXT PRIMARY KEY'], ['available', 'INTEGER DEFAULT 1'], ['unavailable_until', 'TEXT'], ['reason', 'TEXT'], ['degraded_until', 'TEXT']],
  },
  hook_outbox: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['session_id', 'TEXT NOT NULL'], ['event_type', 'TEXT NOT NULL'], ['payload', 'TEXT NOT NULL'],
      ['created_at', 'TEXT DEFAULT CURRENT_TIMESTAMP'], ['next_attempt_at', 'TEXT DEFAULT CURRENT_TIMESTAMP'], ['attempt_count', 'INTEGER DEFAULT 0'],
      ['last_error', 'TEXT'], ['delivered_at', 'TEXT'], ['locked_at', 'TEXT']],
  },
  notification_outbox: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['channel', 'TEXT NOT NULL'], ['recipient_email', 'TEXT NOT NULL'], ['content', 'TEXT NOT NULL'],
      ['file_path', 'TEXT'], ['delivery_channel', "TEXT NOT NULL DEFAULT 'telegram'"], ['status', "TEXT NOT NULL DEFAULT 'pending'"], ['created_at', 'TEXT NOT NULL'],
      ['delivered_at', 'TEXT'], ['attempt_count', 'INTEGER DEFAULT 0'], ['next_attempt_at', 'TEXT'], ['last_error', 'TEXT'], ['locked_at', 'TEXT']],
  },
  memory_observations: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['memory_session_id', 'TEXT NOT NULL'], ['project', 'TEXT NOT NULL'], ['type', 'TEXT NOT NULL'],
      ['title', 'TEXT'], ['subtitle', 'TEXT'], ['facts', 'TEXT'], ['narrative', 'TEXT'], ['concepts', 'TEXT'], ['files_read', 'TEXT'], ['files_modified', 'TEXT'],
      ['prompt_number', 'INTEGER'], ['discovery_tokens', 'INTEGER DEFAULT 0'], ['created_at', 'TEXT NOT NULL'], ['created_at_epoch', 'INTEGER NOT NULL'],
      ['identity_key', 'TEXT']],
    after: [
      'CREATE INDEX idx_memory_obs_project ON memory_observations(project, created_at_epoch DESC)',
      'CREATE INDEX idx_memory_obs_session ON memory_observations(memory_session_id)',
      'CREATE INDEX idx_memory_obs_type ON memory_observations(type)',
      // 012 and 014 each created one: two identical indexes.
      'CREATE INDEX idx_memory_identity ON memory_observations(project, identity_key)',
      'CREATE INDEX idx_memory_obs_identity ON memory_observations(project, identity_key)',
      `CREATE VIRTUAL TABLE memory_observations_fts USING fts5(title, subtitle, narrative, facts, concepts, content='memory_observations', content_rowid='id')`,
      `CREATE TRIGGER memory_obs_ai AFTER INSERT ON memory_observations BEGIN
         INSERT INTO memory_observations_fts(rowid, title, subtitle, narrative, facts, concepts) VALUES (new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts);
       END`,
    ],
  },
  memory_summaries: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['memory_session_id', 'TEXT NOT NULL'], ['project', 'TEXT NOT NULL'], ['request', 'TEXT'],
      ['investigated', 'TEXT'], ['learned', 'TEXT'], ['completed', 'TEXT'], ['next_steps', 'TEXT'], ['created_at', 'TEXT NOT NULL'], ['created_at_epoch', 'INTEGER NOT NULL']],
  },
  memory_manual_sessions: { columns: [['memory_session_id', 'TEXT PRIMARY KEY'], ['project', 'TEXT UNIQUE NOT NULL'], ['created_at_epoch', 'INTEGER NOT NULL']] },
  webhook_contracts: {
    columns: [['id', 'TEXT PRIMARY KEY'], ['contract_json', 'TEXT NOT NULL'], ['active', 'INTEGER NOT NULL DEFAULT 1'], ['source', "TEXT NOT NULL DEFAULT 'api'"],
      ['created_at', 'TEXT NOT NULL'], ['updated_at', 'TEXT NOT NULL']],
  },
  webhook_outbox: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['contract_id', 'TEXT NOT NULL'], ['event_json', 'TEXT NOT NULL'], ['target_url', 'TEXT NOT NULL'],
      ['target_secret', 'TEXT'], ['status', "TEXT NOT NULL DEFAULT 'pending'"], ['created_at', 'TEXT NOT NULL'], ['delivered_at', 'TEXT'],
      ['attempt_count', 'INTEGER NOT NULL DEFAULT 0'], ['next_attempt_at', 'TEXT'], ['last_error', 'TEXT'], ['locked_at', 'TEXT']],
  },
  inbound_queue: {
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['session_id', 'TEXT NOT NULL'], ['origin', 'TEXT NOT NULL'],
      ['message_type', "TEXT NOT NULL DEFAULT 'text' CHECK(message_type IN ('text', 'voice', 'file'))"], ['content', "TEXT NOT NULL DEFAULT ''"],
      ['payload_json', 'TEXT'], ['actor_id', 'TEXT'], ['actor_name', 'TEXT'], ['actor_avatar_url', 'TEXT'],
      ['status', "TEXT NOT NULL DEFAULT 'pending' CHECK(status IN ('pending', 'processing', 'delivered', 'failed', 'expired'))"], ['created_at', 'TEXT NOT NULL'],
      ['processed_at', 'TEXT'], ['attempt_count', 'INTEGER NOT NULL DEFAULT 0'], ['next_retry_at', 'TEXT'], ['last_error', 'TEXT'], ['locked_at', 'TEXT'],
      ['source_message_id', 'TEXT'], ['source_channel_id', 'TEXT']],
    after: ['CREATE UNIQUE INDEX idx_inbound_queue_source_dedup ON inbound_queue(origin, source_message_id) WHERE source_message_id IS NOT NULL'],
  },
  session_listeners: {
    columns: [['target_session_id', 'TEXT NOT NULL'], ['caller_session_id', 'TEXT NOT NULL'], ['caller_tmux_session', 'TEXT NOT NULL'], ['registered_at', 'TEXT NOT NULL']],
    extra: ['PRIMARY KEY (target_session_id, caller_session_id)'],
  },
  conversation_links: {
    columns: [['link_id', 'TEXT PRIMARY KEY'], ['mode', "TEXT NOT NULL CHECK(mode IN ('direct_link', 'gathering_link'))"],
      ['status', "TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active', 'closed'))"], ['created_by_session_id', 'TEXT NOT NULL'], ['metadata_json', 'TEXT'],
      ['created_at', 'TEXT NOT NULL'], ['updated_at', 'TEXT NOT NULL'], ['closed_at', 'TEXT']],
  },
  conversation_link_members: {
    columns: [['link_id', 'TEXT NOT NULL'], ['session_id', 'TEXT NOT NULL'], ['participant_name', 'TEXT'], ['participant_number', 'INTEGER'],
      ['participant_role', 'TEXT'], ['computer_name', 'TEXT'], ['joined_at', 'TEXT NOT NULL']],
    extra: ['PRIMARY KEY (link_id, session_id)', 'FOREIGN KEY (link_id) REFERENCES conversation_links(link_id) ON DELETE CASCADE'],
  },
  operations: {
    columns: [['operation_id', 'TEXT PRIMARY KEY'], ['kind', 'TEXT NOT NULL'], ['caller_session_id', 'TEXT NOT NULL'], ['client_request_id', 'TEXT'],
      ['cwd', 'TEXT NOT NULL'], ['slug', 'TEXT'], ['payload_json', 'TEXT NOT NULL'],
      ['state', "TEXT NOT NULL CHECK(state IN ('queued', 'running', 'completed', 'failed', 'stale', 'cancelled'))"], ['progress_phase', 'TEXT'],
      ['progress_decision', 'TEXT'], ['progress_reason', 'TEXT'], ['result_text', 'TEXT'], ['error_text', 'TEXT'], ['created_at', 'TEXT NOT NULL'],
      ['updated_at', 'TEXT NOT NULL'], ['started_at', 'TEXT'], ['completed_at', 'TEXT'], ['heartbeat_at', 'TEXT'], ['attempt_count', 'INTEGER NOT NULL DEFAULT 0']],
  },
  mirrors: {
    // as 028 rebuilds it
    columns: [['id', 'INTEGER PRIMARY KEY AUTOINCREMENT'], ['session_id', 'TEXT NOT NULL'], ['source_identity', 'TEXT'], ['computer', 'TEXT NOT NULL'],
      ['agent', 'TEXT NOT NULL'], ['project', "TEXT NOT NULL DEFAULT ''"], ['title', "TEXT NOT NULL DEFAULT ''"], ['timestamp_start', 'TEXT'], ['timestamp_end', 'TEXT'],
      ['conversation_text', "TEXT NOT NULL DEFAULT ''"], ['message_count', 'INTEGER NOT NULL DEFAULT 0'], ['metadata', "TEXT DEFAULT '{}'"],
      ['created_at', 'TEXT NOT NULL'], ['updated_at', 'TEXT NOT NULL']],
    after: [
      'CREATE UNIQUE INDEX idx_mirrors_source_identity ON mirrors(source_identity)',
      `CREATE VIRTUAL TABLE mirrors_fts USING fts5(title, conversation_text, content='mirrors', content_rowid='id')`,
      `CREATE TRIGGER mirrors_ai AFTER INSERT ON mirrors BEGIN
         INSERT INTO mirrors_fts(rowid, title, conversation_text) VALUES (new.id, new.title, new.conversation_text);
       END`,
    ],
  },
  mirror_tombstones: {
    columns: [['source_identity', 'TEXT PRIMARY KEY'], ['agent', 'TEXT NOT NULL'], ['transcript_path', 'TEXT NOT NULL'], ['file_size', 'INTEGER NOT NULL'],
      ['file_mtime', 'TEXT NOT NULL'], ['created_at', 'TEXT NOT NULL']],
  },
  session_tokens: {
    columns: [['token', 'TEXT PRIMARY KEY'], ['session_id', 'TEXT NOT NULL'], ['principal', 'TEXT NOT NULL'], ['role', 'TEXT NOT NULL'],
      ['issued_at', 'TEXT NOT NULL'], ['expires_at', 'TEXT NOT NULL'], ['revoked_at', 'TEXT']],
    extra: ['FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE'],
    after: ['CREATE INDEX idx_session_tokens_session ON session_tokens(session_id)'],
  },
};

/** The legacy tables and their columns, for tests that map them (by the facts) onto a target. */
export const LEGACY_COLUMNS: Record<string, string[]> = Object.fromEntries(Object.entries(TABLES).map(([t, d]) => [t, d.columns.map(([c]) => c)]));

/** What a value must arrive as: epoch ms for timestamps, parsed JSON, booleans, numbers, text; `null`. */
export type Expected = string | number | boolean | null | Record<string, unknown> | unknown[];

/** A row the import must leave out, or a value it must report, and why. */
export interface ExpectedReject {
  table: string;
  /** The row's id as the reject file names it (`a/b` for a composite key). */
  id: string;
  kind: 'orphan' | 'refused' | 'invalid';
  column?: string;
  /** Only these target engines refuse the row (e.g. an integer beyond a 32-bit INT); elsewhere it arrives. */
  engines?: readonly ('postgresql' | 'sqlite' | 'mariadb')[];
}

export interface LegacyFixture {
  path: string;
  /** Rows written per table (the file's own counts). */
  written: Record<string, number>;
  /** With `record`: per table, per id, the row as written (legacy column names, the values as stored). */
  raw: Map<string, Map<string, Record<string, unknown>>>;
  /** With `record`: per table, per id, what each legacy column must arrive as (`undefined`: anything non-null, a filled value). */
  expected: Map<string, Map<string, Record<string, Expected | undefined>>>;
  rejects: ExpectedReject[];
}

export interface LegacyOptions {
  /** Rows of the big tables (sessions, queues, memory); the others scale from it. Default 40. */
  rows?: number;
  /** Keep every row's expectation (memory grows with `rows`); off for the benchmark. Default true. */
  record?: boolean;
  /** An older install: these tables do not exist yet. */
  missingTables?: string[];
  /** An older install: these `table.column`s do not exist yet. */
  missingColumns?: string[];
}

/** `rows` for a file of about `total` rows in all (the benchmark's 1,000,000). */
export function legacyRowsFor(total: number): number {
  return Math.max(10, Math.round(total / 7.2));
}

const BASE = Date.UTC(2026, 2, 15, 18, 3, 10, 123);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A timestamp in one of the daemon's three forms, all UTC: ORM `2026-03-15 18:03:10.123456`,
 * isoformat `2026-03-15T18:03:10.123456+00:00`, transcript `2026-03-15T18:03:10.123Z`.
 * The first two carry microseconds (456), which the import cuts to the millisecond.
 */
export function legacyTime(ms: number, form: number): string {
  const text = iso(ms);
  switch (form % 3) {
    case 0:
      return `${text.slice(0, 10)} ${text.slice(11, 23)}456`;
    case 1:
      return `${text.slice(0, 23)}456+00:00`;
    default:
      return text;
  }
}

/** Writes the file at `path` (which must not exist) in WAL mode, as the daemon runs it. */
export function buildLegacyFixture(path: string, options: LegacyOptions = {}): LegacyFixture {
  const n = options.rows ?? 40;
  const record = options.record ?? true;
  const missingTables = new Set(options.missingTables ?? []);
  const missingColumns = new Set(options.missingColumns ?? []);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // The daemon never turns foreign keys on (better-sqlite3 does by default): orphans exist.
  db.pragma('foreign_keys = OFF');
  const fixture: LegacyFixture = { path, written: {}, raw: new Map(), expected: new Map(), rejects: [] };

  db.exec('BEGIN');
  db.exec('CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP)');
  const migration = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (const [i, version] of LEGACY_MIGRATIONS.entries()) migration.run(version, legacyTime(BASE - 86_400_000 * (40 - i), 0));

  const present = (table: string) => !missingTables.has(table);
  const has = (table: string, column: string) => !missingColumns.has(`${table}.${column}`);
  for (const [table, definition] of Object.entries(TABLES)) {
    if (!present(table)) continue;
    const columns = definition.columns.filter(([c]) => has(table, c)).map(([c, d]) => `${c} ${d}`);
    db.exec(`CREATE TABLE ${table} (\n  ${[...columns, ...(definition.extra ?? [])].join(',\n  ')}\n)`);
    for (const statement of definition.after ?? []) {
      if (statement.includes('identity_key') && !has(table, 'identity_key')) continue;
      db.exec(statement);
    }
  }

  /**
   * Inserts one row (legacy column -> stored value) and records it. `expect` holds what
   * each column must arrive as where that differs from `stored` read plainly (timestamps,
   * booleans, JSON, blanks); `fate` marks a row (or value) that must be reported.
   */
  const statements = new Map<string, Database.Statement>();
  const put = (table: string, id: string, stored: Record<string, unknown>, expect: Record<string, Expected | undefined>, fate?: Omit<ExpectedReject, 'table' | 'id'>[]) => {
    if (!present(table)) return;
    const names = Object.keys(stored).filter((c) => has(table, c));
    const key = `${table}:${names.join(',')}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
      statements.set(key, statement);
    }
    statement.run(names.map((c) => stored[c]));
    fixture.written[table] = (fixture.written[table] ?? 0) + 1;
    for (const f of fate ?? []) fixture.rejects.push({ table, id, ...f });
    if (!record) return;
    const raw = Object.fromEntries(names.map((c) => [c, stored[c]]));
    if (!fixture.raw.has(table)) fixture.raw.set(table, new Map());
    fixture.raw.get(table)!.set(id, raw);
    if (fate?.some((f) => f.kind !== 'invalid' && f.engines === undefined)) return;
    if (!fixture.expected.has(table)) fixture.expected.set(table, new Map());
    fixture.expected.get(table)!.set(id, Object.fromEntries(names.map((c) => [c, c in expect ? expect[c] : (stored[c] as Expected)])));
  };

  /** A timestamp column: stored text in form `i`, NULL or '' now and then; arrives as ms (or null / filled). */
  const time = (ms: number, i: number, { blanks = true, notNull = false } = {}): [unknown, Expected | undefined] => {
    if (blanks && i % 11 === 7) return [null, notNull ? undefined : null];
    if (blanks && i % 11 === 8) return ['', notNull ? undefined : null];
    return [legacyTime(ms, i), ms];
  };

  // sessions: n rows plus the special ones.
  const sessionIds: string[] = [];
  const session = (i: number, id: string, overrides: Record<string, unknown> = {}, expectOverrides: Record<string, Expected | undefined> = {}, fate?: Omit<ExpectedReject, 'table' | 'id'>[]) => {
    const at = BASE + i * 60_000;
    const [created, createdExpected] = time(at, i, { notNull: true });
    const [activity, activityExpected] = time(at + 5_000, i + 1, { notNull: true });
    const [closed, closedExpected] = i % 4 === 0 ? time(at + 9_000, i + 2) : [null, null];
    const [outputAt, outputAtExpected] = time(at + 7_000, i + 3);
    const stored: Record<string, unknown> = {
      session_id: id,
      computer_name: `mac-${i % 3}`,
      title: i % 9 === 4 ? null : `Session ${i}: fix the importer`,
      tmux_session_name: i % 5 === 0 ? null : `tc_${id}`,
      last_input_origin: ['telegram', 'discord', 'terminal'][i % 3],
      adapter_metadata: i % 6 === 1 ? null : JSON.stringify({ telegram: { topic_id: 1000 + i } }),
      created_at: created,
      last_activity: activity,
      closed_at: closed,
      terminal_size: '120x40',
      project_path: `/home/dev/project-${i % 4}`,
      subdir: null,
      description: i % 2 ? 'spawned by an agent' : null,
      initiated_by_ai: i % 2,
      initiator_session_id: i % 2 ? `s-${i - 1}` : null,
      output_message_id: String(5000 + i),
      notification_sent: i % 7 === 3 ? '' : i % 2,
      native_session_id: `native-${i}`,
      active_agent: ['claude', 'gemini', 'codex'][i % 3],
      tui_capture_started: i % 3 === 0 ? null : 1,
      last_output_at: outputAt,
      lifecycle_status: i % 4 === 0 ? 'closed' : 'active',
      last_tool_use_at: legacyTime(at + 3_000, i + 2),
      human_email: i % 3 === 0 ? `dev${i}@example.com` : null,
      char_offset: i % 10 === 5 ? '' : i * 10,
      transcript_files: JSON.stringify([`/home/dev/.claude/projects/p/${id}.jsonl`]),
      visibility: 'private',
      session_metadata: i % 5 === 2 ? null : JSON.stringify({ slug: `task-${i}` }),
      turn_triggered_by_linked_output: i % 8 === 0 ? 1 : 0,
      principal: i % 2 ? `system:s-${i - 1}` : null,
      ...overrides,
    };
    const expect: Record<string, Expected | undefined> = {
      title: stored.title === null ? undefined : (stored.title as string),
      adapter_metadata: stored.adapter_metadata === null ? undefined : { telegram: { topic_id: 1000 + i } },
      created_at: createdExpected,
      last_activity: activityExpected,
      closed_at: closedExpected,
      initiated_by_ai: i % 2 === 1,
      notification_sent: stored.notification_sent === '' ? undefined : stored.notification_sent === 1,
      tui_capture_started: stored.tui_capture_started === null ? undefined : true,
      last_output_at: outputAtExpected,
      last_tool_use_at: at + 3_000,
      char_offset: stored.char_offset === '' ? undefined : (stored.char_offset as number),
      transcript_files: [`/home/dev/.claude/projects/p/${id}.jsonl`],
      session_metadata: stored.session_metadata === null ? undefined : { slug: `task-${i}` },
      turn_triggered_by_linked_output: i % 8 === 0,
      ...expectOverrides,
    };
    put('sessions', id, stored, expect, fate);
  };
  for (let i = 0; i < n; i++) {
    session(i, `s-${i}`);
    sessionIds.push(`s-${i}`);
  }
  // A session the target refuses (its CHECK wants a computer name), one with a NUL in its
  // title (no engine-neutral store holds it), a malformed JSON value, a year-0 timestamp.
  session(n, 's-no-computer', { computer_name: '' }, {}, [{ kind: 'refused', column: 'computer_name' }]);
  session(n + 1, 's-nul', { title: 'before\u0000after' }, {}, [{ kind: 'refused', column: 'title' }]);
  session(n + 2, 's-bad-json', { adapter_metadata: '{"telegram": ' }, { adapter_metadata: {} }, [{ kind: 'invalid', column: 'adapter_metadata' }]);
  session(n + 3, 's-year-zero', { closed_at: '0000-06-01 00:00:00' }, {}, [{ kind: 'refused', column: 'closed_at' }]);
  sessionIds.push('s-bad-json');

  // voice_assignments: no foreign key; rows for sessions long gone are data, copied as they are.
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    const id = i % 3 === 0 ? `gone-session-${i}` : sessionIds[i % sessionIds.length]!;
    const [assigned, assignedExpected] = time(BASE + i * 1000, i, { notNull: true });
    put('voice_assignments', id, { id, service_name: i % 7 === 6 ? null : 'elevenlabs', voice: `voice-${i % 4}`, assigned_at: assigned }, {
      service_name: i % 7 === 6 ? undefined : 'elevenlabs',
      assigned_at: assignedExpected,
    });
  }

  // pending_message_deletions: created_at is NULL in practice (filled on import); orphans of deleted sessions.
  let deletionId = 0;
  for (let i = 0; i < n; i++) {
    const id = String(++deletionId);
    put('pending_message_deletions', id, { id: deletionId, session_id: sessionIds[i % sessionIds.length], message_id: String(700 + i), deletion_type: i % 2 ? 'feedback' : 'user_input', created_at: null }, { id: deletionId, created_at: undefined });
  }
  for (const [k, gone] of ['deleted-session-a', 's-no-computer', 's-nul'].entries()) {
    const id = String(++deletionId);
    put('pending_message_deletions', id, { id: deletionId, session_id: gone, message_id: String(900 + k), deletion_type: 'user_input', created_at: null }, {}, [{ kind: 'orphan' }]);
  }

  // system_settings: updated_at NULL (filled).
  for (let i = 0; i < 20; i++) {
    put('system_settings', `setting_${i}`, { key: `setting_${i}`, value: `value ${i}`, updated_at: i % 2 ? null : legacyTime(BASE + i, i) }, { updated_at: i % 2 ? undefined : BASE + i });
  }

  // agent_availability: the reasons the daemon writes, free text included; available NULL once.
  const later = BASE + 3_600_000;
  const FAR = Date.UTC(2099, 0, 1, 12);
  const marks: [string, unknown, unknown, string | null, unknown, Expected | undefined, Expected, Expected][] = [
    ['claude', 0, legacyTime(later, 1), 'quota_exhausted', null, false, later, null],
    ['gemini', 1, null, 'degraded', legacyTime(FAR, 2), true, null, FAR],
    ['codex', 0, legacyTime(later, 0), 'maintenance window, ask #ops', null, false, later, null],
    ['ollama', 1, null, 'degraded:slow responses', null, true, null, null],
    ['qwen', null, null, null, null, undefined, null, null],
    ['mistral', 0, legacyTime(later, 2), 'rate_limited', '', false, later, null],
  ];
  for (const [agent, available, until, reason, degraded, availableExpected, untilExpected, degradedExpected] of marks) {
    put('agent_availability', agent, { agent, available, unavailable_until: until, reason, degraded_until: degraded }, {
      available: availableExpected,
      unavailable_until: untilExpected,
      degraded_until: degradedExpected,
    });
  }

  // hook_outbox: queue rows without a foreign key (kept even for gone sessions).
  for (let i = 0; i < n; i++) {
    const id = i + 1;
    const [created, createdExpected] = time(BASE + i * 2000, i, { notNull: true });
    const delivered = i % 3 === 0;
    put('hook_outbox', String(id), {
      id, session_id: i % 10 === 9 ? 'gone-session' : sessionIds[i % sessionIds.length], event_type: 'agent_stop',
      payload: JSON.stringify({ turn: i, text: `done ${i}` }), created_at: created,
      next_attempt_at: i % 5 === 0 ? null : legacyTime(BASE + i * 2000 + 500, i + 1), attempt_count: i % 4, last_error: null,
      delivered_at: delivered ? legacyTime(BASE + i * 2000 + 900, i) : null, locked_at: null,
    }, {
      payload: { turn: i, text: `done ${i}` }, created_at: createdExpected,
      next_attempt_at: i % 5 === 0 ? undefined : BASE + i * 2000 + 500, delivered_at: delivered ? BASE + i * 2000 + 900 : null,
    });
  }

  // memory: created_at text and created_at_epoch (seconds); NULL title/facts/concepts; '' created_at.
  for (let i = 0; i < n; i++) {
    const id = i + 1;
    const at = Math.floor((BASE + i * 3_600_000) / 1000) * 1000;
    const blankCreated = i % 6 === 5;
    const empty = i % 5 === 3;
    put('memory_observations', String(id), {
      id, memory_session_id: `mem-${i % 7}`, project: `project-${i % 3}`, type: ['decision', 'discovery', 'gotcha', 'pattern', 'preference', 'friction', 'context'][i % 7],
      title: empty ? null : `observation ${i}`, subtitle: null, facts: empty ? null : JSON.stringify([`fact ${i}`, 'imported']),
      narrative: `narrative words for search ${i}`, concepts: empty ? null : JSON.stringify(['copy']), files_read: null, files_modified: null,
      prompt_number: i, discovery_tokens: i * 3, created_at: blankCreated ? '' : legacyTime(at, i), created_at_epoch: at / 1000,
      identity_key: i % 2 ? `key-${i}` : null,
    }, {
      title: empty ? undefined : `observation ${i}`, facts: empty ? undefined : [`fact ${i}`, 'imported'], concepts: empty ? undefined : ['copy'],
      created_at: at, created_at_epoch: undefined,
    });
  }
  for (let i = 0; i < Math.ceil(n / 4); i++) {
    const id = i + 1;
    const at = Math.floor((BASE + i * 7_200_000) / 1000) * 1000;
    put('memory_summaries', String(id), {
      id, memory_session_id: `mem-${i}`, project: `project-${i % 3}`, request: 'import the legacy file', investigated: null, learned: 'facts',
      completed: null, next_steps: null, created_at: i % 3 === 0 ? '' : legacyTime(at, i), created_at_epoch: at / 1000,
    }, { created_at: at, created_at_epoch: undefined });
  }
  for (let i = 0; i < 10; i++) {
    const at = (Math.floor(BASE / 1000) + i) * 1000;
    put('memory_manual_sessions', `manual-${i}`, { memory_session_id: `manual-${i}`, project: `project-${i}`, created_at_epoch: at / 1000 }, { created_at_epoch: undefined });
  }

  // webhooks: contract_json / event_json; next_attempt_at NULL on dead-letter and rejected rows; an orphan.
  for (let i = 0; i < 10; i++) {
    put('webhook_contracts', `contract-${i}`, {
      id: `contract-${i}`, contract_json: JSON.stringify({ match: { event: 'session_closed' }, n: i }), active: i % 3 ? 1 : 0, source: 'api',
      created_at: legacyTime(BASE + i, i), updated_at: legacyTime(BASE + i + 1, i + 1),
    }, { contract_json: { match: { event: 'session_closed' }, n: i }, active: i % 3 !== 0, created_at: BASE + i, updated_at: BASE + i + 1 });
  }
  for (let i = 0; i < Math.ceil(n / 2) + 1; i++) {
    const id = i + 1;
    const status = ['pending', 'delivered', 'dead_letter', 'rejected'][i % 4]!;
    const orphan = i === Math.ceil(n / 2);
    put('webhook_outbox', String(id), {
      id, contract_id: orphan ? 'contract-deleted' : `contract-${i % 10}`, event_json: JSON.stringify({ event: 'session_closed', i }),
      target_url: 'https://hooks.example.com/x', target_secret: null, status, created_at: legacyTime(BASE + i * 10, i),
      delivered_at: status === 'delivered' ? legacyTime(BASE + i * 10 + 5, i) : null, attempt_count: i % 3,
      next_attempt_at: status === 'dead_letter' || status === 'rejected' ? null : legacyTime(BASE + i * 10 + 7, i + 2), last_error: null, locked_at: null,
    }, {
      event_json: { event: 'session_closed', i }, created_at: BASE + i * 10, delivered_at: status === 'delivered' ? BASE + i * 10 + 5 : null,
      next_attempt_at: status === 'dead_letter' || status === 'rejected' ? undefined : BASE + i * 10 + 7,
    }, orphan ? [{ kind: 'orphan' }] : undefined);
  }

  // inbound_queue: payload_json NULL for most messages (no payload).
  for (let i = 0; i < n; i++) {
    const id = i + 1;
    const voice = i % 5 === 0;
    put('inbound_queue', String(id), {
      id, session_id: sessionIds[i % sessionIds.length], origin: ['telegram', 'discord'][i % 2], message_type: voice ? 'voice' : 'text',
      content: voice ? '' : `message ${i}`, payload_json: voice ? JSON.stringify({ voice_url: `https://t.me/v/${i}` }) : null, actor_id: String(i),
      actor_name: 'dev', actor_avatar_url: null, status: ['pending', 'delivered', 'failed', 'expired', 'processing'][i % 5], created_at: legacyTime(BASE + i * 100, i),
      processed_at: null, attempt_count: 0, next_retry_at: i % 4 === 1 ? legacyTime(BASE + i * 100 + 50, i) : null, last_error: null, locked_at: null,
      source_message_id: i % 3 ? String(80_000 + i) : null, source_channel_id: null,
    }, {
      payload_json: voice ? { voice_url: `https://t.me/v/${i}` } : undefined, created_at: BASE + i * 100,
      next_retry_at: i % 4 === 1 ? BASE + i * 100 + 50 : null,
    });
  }

  for (let i = 0; i < Math.ceil(n / 4); i++) {
    const target = sessionIds[i % sessionIds.length]!;
    const caller = sessionIds[(i + 1) % sessionIds.length]!;
    put('session_listeners', `${target}/${caller}`, { target_session_id: target, caller_session_id: caller, caller_tmux_session: `tc_${caller}`, registered_at: legacyTime(BASE + i, i) }, { registered_at: BASE + i });
  }

  // conversation links: metadata_json may be NULL; a member whose link is gone.
  const links = Math.max(2, Math.ceil(n / 10));
  for (let i = 0; i < links; i++) {
    put('conversation_links', `link-${i}`, {
      link_id: `link-${i}`, mode: i % 2 ? 'gathering_link' : 'direct_link', status: i % 3 ? 'active' : 'closed', created_by_session_id: sessionIds[i % sessionIds.length],
      metadata_json: i % 2 ? null : JSON.stringify({ topic: `t${i}` }), created_at: legacyTime(BASE + i, i), updated_at: legacyTime(BASE + i + 2, i + 1),
      closed_at: i % 3 ? null : legacyTime(BASE + i + 3, i + 2),
    }, { metadata_json: i % 2 ? undefined : { topic: `t${i}` }, created_at: BASE + i, updated_at: BASE + i + 2, closed_at: i % 3 ? null : BASE + i + 3 });
    for (let k = 0; k < 2; k++) {
      const member = sessionIds[(i + k) % sessionIds.length]!;
      put('conversation_link_members', `link-${i}/${member}`, {
        link_id: `link-${i}`, session_id: member, participant_name: `agent ${k}`, participant_number: k + 1, participant_role: k ? 'peer' : 'initiator',
        computer_name: 'mac-0', joined_at: legacyTime(BASE + i + k, i + k),
      }, { joined_at: BASE + i + k });
    }
  }
  put('conversation_link_members', 'link-gone/s-0', { link_id: 'link-gone', session_id: 's-0', participant_name: null, participant_number: null, participant_role: null, computer_name: null, joined_at: legacyTime(BASE, 0) }, {}, [{ kind: 'orphan' }]);

  for (let i = 0; i < Math.ceil(n / 4); i++) {
    put('operations', `op-${i}`, {
      operation_id: `op-${i}`, kind: 'todo_work', caller_session_id: sessionIds[i % sessionIds.length], client_request_id: i % 2 ? `req-${i}` : null,
      cwd: '/home/dev/project', slug: `slug-${i}`, payload_json: JSON.stringify({ args: [i] }), state: ['queued', 'running', 'completed', 'failed', 'stale', 'cancelled'][i % 6],
      progress_phase: null, progress_decision: null, progress_reason: null, result_text: null, error_text: null, created_at: legacyTime(BASE + i, i),
      updated_at: legacyTime(BASE + i + 1, i + 1), started_at: null, completed_at: null, heartbeat_at: i % 2 ? legacyTime(BASE + i + 2, i + 2) : null, attempt_count: 0,
    }, { payload_json: { args: [i] }, created_at: BASE + i, updated_at: BASE + i + 1, heartbeat_at: i % 2 ? BASE + i + 2 : null });
  }

  // mirrors: source_identity NULL on several rows (no transcript); a count beyond PostgreSQL's integer.
  for (let i = 0; i < Math.ceil(n / 2) + 1; i++) {
    const id = i + 1;
    const big = i === Math.ceil(n / 2);
    const identity = i % 4 === 1 ? null : `claude:/home/dev/.claude/projects/p/${i}.jsonl`;
    const [start, startExpected] = time(BASE + i * 5000, i);
    put('mirrors', String(id), {
      id, session_id: sessionIds[i % sessionIds.length], source_identity: identity, computer: 'mac-0', agent: 'claude', project: `project-${i % 3}`,
      title: `mirror ${i}`, timestamp_start: start, timestamp_end: legacyTime(BASE + i * 5000 + 4000, i + 1), conversation_text: `conversation words ${i}`,
      message_count: big ? 3_000_000_000 : i * 2, metadata: identity ? JSON.stringify({ transcript_path: `/home/dev/.claude/projects/p/${i}.jsonl` }) : '{}',
      created_at: legacyTime(BASE + i, i), updated_at: legacyTime(BASE + i + 1, i + 2),
    }, {
      timestamp_start: startExpected, timestamp_end: BASE + i * 5000 + 4000,
      metadata: identity ? { transcript_path: `/home/dev/.claude/projects/p/${i}.jsonl` } : {}, created_at: BASE + i, updated_at: BASE + i + 1,
    }, big ? [{ kind: 'refused', column: 'message_count', engines: ['postgresql', 'mariadb'] }] : undefined);
  }

  // mirror_tombstones: file_mtime is str(st_mtime_ns), beyond 2^53; one holds a float (refused by the target's check).
  for (let i = 0; i < Math.max(3, Math.ceil(n / 10)); i++) {
    const identity = `claude:/home/dev/.claude/projects/gone/${i}.jsonl`;
    const ns = `${BigInt(BASE + i) * 1_000_000n + BigInt(123_457 + i)}`;
    put('mirror_tombstones', identity, {
      source_identity: identity, agent: 'claude', transcript_path: `/home/dev/.claude/projects/gone/${i}.jsonl`, file_size: 0, file_mtime: ns,
      created_at: legacyTime(BASE + i, i),
    }, { created_at: BASE + i });
  }
  put('mirror_tombstones', 'claude:/float.jsonl', {
    source_identity: 'claude:/float.jsonl', agent: 'claude', transcript_path: '/float.jsonl', file_size: 0, file_mtime: '1741976590.5', created_at: legacyTime(BASE, 0),
  }, {}, [{ kind: 'refused', column: 'file_mtime_ns' }]);

  // session_tokens: issued in the transcript form; tokens of deleted sessions are orphans.
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    const token = `tok-${i}`;
    put('session_tokens', token, {
      token, session_id: sessionIds[i % sessionIds.length], principal: `human:dev${i}@example.com`, role: 'admin', issued_at: iso(BASE + i * 1000),
      expires_at: legacyTime(BASE + i * 1000 + 86_400_000, i), revoked_at: i % 5 === 4 ? legacyTime(BASE + i * 1000 + 10, i + 1) : null,
    }, { issued_at: BASE + i * 1000, expires_at: BASE + i * 1000 + 86_400_000, revoked_at: i % 5 === 4 ? BASE + i * 1000 + 10 : null });
  }
  put('session_tokens', 'tok-of-deleted', { token: 'tok-of-deleted', session_id: 'deleted-session-b', principal: 'system:x', role: 'worker', issued_at: iso(BASE), expires_at: iso(BASE + 1), revoked_at: null }, {}, [{ kind: 'orphan' }]);
  put('session_tokens', 'tok-of-refused', { token: 'tok-of-refused', session_id: 's-no-computer', principal: 'system:x', role: 'worker', issued_at: iso(BASE), expires_at: iso(BASE + 1), revoked_at: null }, {}, [{ kind: 'orphan' }]);
  db.exec('COMMIT');
  // A clean stop: the daemon's -wal is checkpointed away.
  db.close();

  for (const table of missingTables) fixture.rejects = fixture.rejects.filter((r) => r.table !== table);
  return fixture;
}
