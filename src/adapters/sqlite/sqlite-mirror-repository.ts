import {
  MIRROR_KEPT_ON_UPSERT,
  mirrorFields,
  mirrorTombstoneFields,
  mirrorValues,
  newTombstone,
  type Mirror,
  type MirrorInput,
  type MirrorListOptions,
  type MirrorSearchOptions,
  type MirrorSessionContext,
  type MirrorSessionIdOptions,
  type MirrorTombstone,
  type MirrorTranscriptState,
  type SessionContextQuery,
  type TombstoneInput,
} from '../../domain/mirror.js';
import { searchTerms } from '../../domain/search.js';
import type { Clock } from '../../ports/clock.js';
import type { MirrorRepository } from '../../ports/mirror-repository.js';
import { SqliteCodec, sqlByShape } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { ftsMatch } from './sqlite-fts.js';
import { withFields } from '../../domain/fields.js';

const mirrors = new SqliteCodec(mirrorFields);
const tombstones = new SqliteCodec(mirrorTombstoneFields);

const SELECT = `SELECT ${mirrors.columnList} FROM mirrors`;
const GET = `${SELECT} WHERE source_identity = ?`;
const GET_TOMBSTONE = `SELECT ${tombstones.columnList} FROM mirror_tombstones WHERE source_identity = ?`;
const TOMBSTONE = `INSERT INTO mirror_tombstones (${tombstones.columnList}) VALUES (${tombstones.placeholders})
  ON CONFLICT (source_identity) DO UPDATE SET agent = excluded.agent, transcript_path = excluded.transcript_path,
    file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns
  RETURNING ${tombstones.columnList}`;
const BY_SESSION_ID = (where: string) =>
  `${SELECT} WHERE substr(session_id, 1, length(?)) = ?${where} ORDER BY session_id = ? DESC, length(session_id), updated_at DESC, id DESC LIMIT 1`;
// substr, not LIKE: LIKE ignores case in SQLite and reads % and _ as wildcards.
const BY_SESSION_ID_ANYWHERE = BY_SESSION_ID('');
const BY_SESSION_ID_ON_COMPUTER = BY_SESSION_ID(' AND computer = ?');
const upsertSql = sqlByShape<number>();
const listSql = sqlByShape<number>();
const searchSql = sqlByShape<number>();

type Filters = { agent?: string | string[]; project?: string; limit: number };

/** Adds the filters of `options` to `where` and `params`; returns their shape (for sqlByShape). */
function filters(options: Filters, where: string[], params: unknown[]): number {
  let shape = 0;
  if (options.agent !== undefined) {
    const agents = ([] as string[]).concat(options.agent);
    where.push(`agent IN (${agents.map(() => '?').join(', ')})`);
    params.push(...agents);
    shape = (agents.length + 1) * 2;
  }
  if (options.project !== undefined) {
    where.push('project = ?');
    params.push(options.project);
    shape += 1;
  }
  return shape;
}

function sessionContextOf(row: Record<string, string | null>): MirrorSessionContext {
  return {
    sessionId: row.id!,
    computer: row.computer_name!,
    agent: row.active_agent ?? null,
    project: row.project_path ?? null,
    transcriptPath: row.native_log_file ?? null,
  };
}

export class SqliteMirrorRepository implements MirrorRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  upsert(input: MirrorInput): Promise<Mirror> {
    const now = this.clock.now();
    const values = mirrorValues(input as Parameters<typeof mirrorValues>[0]);
    const { columns, params, shape } = mirrors.toRow(withFields(values, { createdAt: now, updatedAt: now }));
    const sql = upsertSql(shape, () => {
      const updates = columns.filter((c) => !MIRROR_KEPT_ON_UPSERT.includes(c)).map((c) => `${c} = excluded.${c}`);
      return `INSERT INTO mirrors (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
        ON CONFLICT (source_identity) DO UPDATE SET ${updates.join(', ')}
        RETURNING ${mirrors.columnList}`;
    });
    return this.db.run(() => mirrors.fromArray(this.db.prepareRaw(sql).get(params) as unknown[]));
  }

  get(sourceIdentity: string): Promise<Mirror | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET).get(sourceIdentity) as unknown[] | undefined;
      return row === undefined ? null : mirrors.fromArray(row);
    });
  }

  list(options?: MirrorListOptions): Promise<Mirror[]> {
    const where: string[] = ['1 = 1'];
    const params: unknown[] = [];
    const shape = filters(options as Filters, where, params);
    params.push((options as Filters).limit);
    return this.select(listSql(shape, () => `${SELECT} WHERE ${where.join(' AND ')} ORDER BY timestamp_start DESC NULLS LAST, id DESC LIMIT ?`), params);
  }

  search(query: string, options?: MirrorSearchOptions): Promise<Mirror[]> {
    const terms = searchTerms(query);
    if (terms.length === 0) return Promise.resolve([]);
    const where = ['id IN (SELECT rowid FROM mirrors_fts WHERE mirrors_fts MATCH ?)'];
    const params: unknown[] = [ftsMatch(terms)];
    const shape = filters(options as Filters, where, params);
    params.push((options as Filters).limit);
    return this.select(searchSql(shape, () => `${SELECT} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`), params);
  }

  tombstone(input: TombstoneInput): Promise<MirrorTombstone> {
    const row = newTombstone(input as Parameters<typeof newTombstone>[0], this.clock.now());
    const params = tombstones.toParams(row);
    return this.db.immediate(() => {
      this.db.prepare('DELETE FROM mirrors WHERE source_identity = ?').run(row.sourceIdentity);
      return tombstones.fromArray(this.db.prepareRaw(TOMBSTONE).get(params) as unknown[]);
    });
  }

  isTombstoned(sourceIdentity: string): Promise<boolean> {
    return this.db.run(() => this.db.prepare('SELECT 1 FROM mirror_tombstones WHERE source_identity = ?').get(sourceIdentity) !== undefined);
  }

  getTombstone(sourceIdentity: string): Promise<MirrorTombstone | null> {
    return this.db.run(() => {
      const row = this.db.prepareRaw(GET_TOMBSTONE).get(sourceIdentity) as unknown[] | undefined;
      return row === undefined ? null : tombstones.fromArray(row);
    });
  }

  deleteTombstone(sourceIdentity: string): Promise<boolean> {
    return this.db.run(() => this.db.prepare('DELETE FROM mirror_tombstones WHERE source_identity = ?').run(sourceIdentity).changes > 0);
  }

  delete(sourceIdentity: string): Promise<boolean> {
    return this.db.run(() => this.db.prepare('DELETE FROM mirrors WHERE source_identity = ?').run(sourceIdentity).changes > 0);
  }

  async getBySessionId(sessionIdOrPrefix: string, options?: MirrorSessionIdOptions): Promise<Mirror | null> {
    const { computer } = options as { computer?: string };
    const [mirror] = await (computer === undefined
      ? this.select(BY_SESSION_ID_ANYWHERE, [sessionIdOrPrefix, sessionIdOrPrefix, sessionIdOrPrefix])
      : this.select(BY_SESSION_ID_ON_COMPUTER, [sessionIdOrPrefix, sessionIdOrPrefix, computer, sessionIdOrPrefix]));
    return mirror ?? null;
  }

  stateByTranscript(): Promise<Map<string, MirrorTranscriptState>> {
    return this.db.run(() => {
      const rows = this.db
        .prepare(
          `SELECT json_extract(metadata, '$.transcript_path') AS path, source_identity, updated_at FROM mirrors
           WHERE json_type(metadata, '$.transcript_path') = 'text' AND json_extract(metadata, '$.transcript_path') <> ''
           ORDER BY updated_at, id`,
        )
        .all() as { path: string; source_identity: string; updated_at: number }[];
      // Ascending order: the newest mirror of a path is set last and wins.
      return new Map(rows.map((r) => [r.path, { sourceIdentity: r.source_identity, updatedAt: new Date(r.updated_at) }]));
    });
  }

  sessionContext(query: SessionContextQuery): Promise<MirrorSessionContext | null> {
    const { sessionId = null, transcriptPath = null } = query;
    return this.db.run(() => {
      const row = this.db
        .prepare(
          `SELECT id, computer_name, active_agent, project_path, native_log_file FROM sessions
           WHERE id = ? OR native_log_file = ?
           ORDER BY id IS ? DESC, created_at DESC, id DESC LIMIT 1`,
        )
        .get(sessionId, transcriptPath, sessionId) as Record<string, string | null> | undefined;
      return row ? sessionContextOf(row) : null;
    });
  }

  private select(sql: string, params: unknown[]): Promise<Mirror[]> {
    return this.db.run(() => (this.db.prepareRaw(sql).all(params) as unknown[][]).map((row) => mirrors.fromArray(row)));
  }
}
