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
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { ftsMatch } from './sqlite-fts.js';

const mirrors = new SqliteCodec(mirrorFields);
const tombstones = new SqliteCodec(mirrorTombstoneFields);

type Filters = { agent?: string | string[]; project?: string; limit: number };

function filters(options: Filters, where: string[], params: unknown[]): void {
  if (options.agent !== undefined) {
    const agents = ([] as string[]).concat(options.agent);
    where.push(`agent IN (${agents.map(() => '?').join(', ')})`);
    params.push(...agents);
  }
  if (options.project !== undefined) {
    where.push('project = ?');
    params.push(options.project);
  }
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
    const { columns, params } = mirrors.toRow({ ...values, createdAt: now, updatedAt: now });
    const updates = columns.filter((c) => !MIRROR_KEPT_ON_UPSERT.includes(c)).map((c) => `${c} = excluded.${c}`);
    const sql = `INSERT INTO mirrors (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
      ON CONFLICT (source_identity) DO UPDATE SET ${updates.join(', ')}
      RETURNING ${mirrors.columnList}`;
    return this.db.run(() => mirrors.fromRow(this.db.prepare(sql).get(params) as Record<string, unknown>));
  }

  get(sourceIdentity: string): Promise<Mirror | null> {
    return this.db.run(() => {
      const row = this.db.prepare(`SELECT ${mirrors.columnList} FROM mirrors WHERE source_identity = ?`).get(sourceIdentity);
      return row ? mirrors.fromRow(row as Record<string, unknown>) : null;
    });
  }

  list(options?: MirrorListOptions): Promise<Mirror[]> {
    const where: string[] = ['1 = 1'];
    const params: unknown[] = [];
    filters(options as Filters, where, params);
    params.push((options as Filters).limit);
    return this.select(`WHERE ${where.join(' AND ')} ORDER BY timestamp_start DESC NULLS LAST, id DESC LIMIT ?`, params);
  }

  search(query: string, options?: MirrorSearchOptions): Promise<Mirror[]> {
    const terms = searchTerms(query);
    if (terms.length === 0) return Promise.resolve([]);
    const where = ['id IN (SELECT rowid FROM mirrors_fts WHERE mirrors_fts MATCH ?)'];
    const params: unknown[] = [ftsMatch(terms)];
    filters(options as Filters, where, params);
    params.push((options as Filters).limit);
    return this.select(`WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`, params);
  }

  tombstone(input: TombstoneInput): Promise<MirrorTombstone> {
    const row = newTombstone(input as Parameters<typeof newTombstone>[0], this.clock.now());
    return this.db.run((db) =>
      db.transaction(() => {
        this.db.prepare('DELETE FROM mirrors WHERE source_identity = ?').run(row.sourceIdentity);
        return tombstones.fromRow(
          this.db
            .prepare(
              `INSERT INTO mirror_tombstones (${tombstones.columnList}) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (source_identity) DO UPDATE SET agent = excluded.agent, transcript_path = excluded.transcript_path,
                 file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns
               RETURNING ${tombstones.columnList}`,
            )
            .get(tombstones.toRow(row).params) as Record<string, unknown>,
        );
      })(),
    );
  }

  isTombstoned(sourceIdentity: string): Promise<boolean> {
    return this.db.run(() => this.db.prepare('SELECT 1 FROM mirror_tombstones WHERE source_identity = ?').get(sourceIdentity) !== undefined);
  }

  getTombstone(sourceIdentity: string): Promise<MirrorTombstone | null> {
    return this.db.run(() => {
      const row = this.db.prepare(`SELECT ${tombstones.columnList} FROM mirror_tombstones WHERE source_identity = ?`).get(sourceIdentity);
      return row ? tombstones.fromRow(row as Record<string, unknown>) : null;
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
    // substr, not LIKE: LIKE ignores case in SQLite and reads % and _ as wildcards.
    const params: unknown[] = [sessionIdOrPrefix, sessionIdOrPrefix];
    let where = 'substr(session_id, 1, length(?)) = ?';
    if (computer !== undefined) {
      where += ' AND computer = ?';
      params.push(computer);
    }
    params.push(sessionIdOrPrefix);
    const [mirror] = await this.select(
      `WHERE ${where} ORDER BY session_id = ? DESC, length(session_id), updated_at DESC, id DESC LIMIT 1`,
      params,
    );
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

  private select(rest: string, params: unknown[]): Promise<Mirror[]> {
    return this.db.run(() =>
      this.db
        .prepare(`SELECT ${mirrors.columnList} FROM mirrors ${rest}`)
        .all(params)
        .map((row) => mirrors.fromRow(row as Record<string, unknown>)),
    );
  }
}
