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
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { tsQuery } from './postgres-fts.js';
import { withFields } from '../../domain/fields.js';

const mirrors = new PostgresCodec(mirrorFields);
const tombstones = new PostgresCodec(mirrorTombstoneFields);
const FILTERS = '($1::text[] IS NULL OR agent = ANY($1)) AND ($2::text IS NULL OR project = $2)';

type Filters = { agent?: string | string[]; project?: string; limit: number };

function agents(agent: string | string[] | undefined): string[] | null {
  return agent === undefined ? null : ([] as string[]).concat(agent);
}

export class PostgresMirrorRepository implements MirrorRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async upsert(input: MirrorInput): Promise<Mirror> {
    const now = this.clock.now();
    const values = mirrorValues(input as Parameters<typeof mirrorValues>[0]);
    const { columns, params } = mirrors.toRow(withFields(values, { createdAt: now, updatedAt: now }));
    const updates = columns.filter((c) => !MIRROR_KEPT_ON_UPSERT.includes(c)).map((c) => `${c} = excluded.${c}`);
    const { rows } = await this.db.query(
      `INSERT INTO mirrors (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (source_identity) DO UPDATE SET ${updates.join(', ')}
       RETURNING ${mirrors.columnList}`,
      params,
    );
    return mirrors.fromRow(rows[0]!);
  }

  async get(sourceIdentity: string): Promise<Mirror | null> {
    const { rows } = await this.db.query(`SELECT ${mirrors.columnList} FROM mirrors WHERE source_identity = $1`, [sourceIdentity]);
    return rows[0] ? mirrors.fromRow(rows[0]) : null;
  }

  async list(options?: MirrorListOptions): Promise<Mirror[]> {
    const { agent, project, limit } = options as Filters;
    const { rows } = await this.db.query(
      `SELECT ${mirrors.columnList} FROM mirrors WHERE ${FILTERS} ORDER BY timestamp_start DESC NULLS LAST, id DESC LIMIT $3`,
      [agents(agent), project ?? null, limit],
    );
    return rows.map((row) => mirrors.fromRow(row));
  }

  async search(query: string, options?: MirrorSearchOptions): Promise<Mirror[]> {
    const { agent, project, limit } = options as Filters;
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT ${mirrors.columnList} FROM mirrors WHERE search_vector @@ $4::tsquery AND ${FILTERS}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [agents(agent), project ?? null, limit, tsQuery(terms)],
    );
    return rows.map((row) => mirrors.fromRow(row));
  }

  async tombstone(input: TombstoneInput): Promise<MirrorTombstone> {
    const row = newTombstone(input as Parameters<typeof newTombstone>[0], this.clock.now());
    const { rows } = await this.db.query(
      `WITH gone AS (DELETE FROM mirrors WHERE source_identity = $1)
       INSERT INTO mirror_tombstones (${tombstones.columnList}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (source_identity) DO UPDATE SET agent = excluded.agent, transcript_path = excluded.transcript_path,
         file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns
       RETURNING ${tombstones.columnList}`,
      tombstones.toRow(row).params,
    );
    return tombstones.fromRow(rows[0]!);
  }

  async getTombstone(sourceIdentity: string): Promise<MirrorTombstone | null> {
    const { rows } = await this.db.query(`SELECT ${tombstones.columnList} FROM mirror_tombstones WHERE source_identity = $1`, [sourceIdentity]);
    return rows[0] ? tombstones.fromRow(rows[0]) : null;
  }

  async deleteTombstone(sourceIdentity: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM mirror_tombstones WHERE source_identity = $1', [sourceIdentity]);
    return (rowCount ?? 0) > 0;
  }

  async delete(sourceIdentity: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM mirrors WHERE source_identity = $1', [sourceIdentity]);
    return (rowCount ?? 0) > 0;
  }

  async getBySessionId(sessionIdOrPrefix: string, options?: MirrorSessionIdOptions): Promise<Mirror | null> {
    const { computer } = options as { computer?: string };
    // starts_with, not LIKE: % and _ in an id are not wildcards.
    const { rows } = await this.db.query(
      `SELECT ${mirrors.columnList} FROM mirrors WHERE starts_with(session_id, $1) AND ($2::text IS NULL OR computer = $2)
       ORDER BY session_id = $1 DESC, length(session_id), updated_at DESC, id DESC LIMIT 1`,
      [sessionIdOrPrefix, computer ?? null],
    );
    return rows[0] ? mirrors.fromRow(rows[0]) : null;
  }

  async stateByTranscript(): Promise<Map<string, MirrorTranscriptState>> {
    const { rows } = await this.db.query<{ path: string; source_identity: string; updated_at: Date }>(
      `SELECT metadata->>'transcript_path' AS path, source_identity, updated_at FROM mirrors
       WHERE jsonb_typeof(metadata->'transcript_path') = 'string' AND metadata->>'transcript_path' <> ''
       ORDER BY updated_at, id`,
    );
    // Ascending order: the newest mirror of a path is set last and wins.
    return new Map(rows.map((r) => [r.path, { sourceIdentity: r.source_identity, updatedAt: r.updated_at }]));
  }

  async sessionContext(query: SessionContextQuery): Promise<MirrorSessionContext | null> {
    const { sessionId = null, transcriptPath = null } = query;
    const { rows } = await this.db.query<{
      id: string;
      computer_name: string;
      active_agent: string | null;
      project_path: string | null;
      native_log_file: string | null;
    }>(
      `SELECT id, computer_name, active_agent, project_path, native_log_file FROM sessions
       WHERE id = $1::text OR native_log_file = $2::text
       ORDER BY id IS NOT DISTINCT FROM $1::text DESC, created_at DESC, id COLLATE "C" DESC LIMIT 1`,
      [sessionId, transcriptPath],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      sessionId: row.id,
      computer: row.computer_name,
      agent: row.active_agent,
      project: row.project_path,
      transcriptPath: row.native_log_file,
    };
  }

  async isTombstoned(sourceIdentity: string): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM mirror_tombstones WHERE source_identity = $1', [sourceIdentity]);
    return (rowCount ?? 0) > 0;
  }
}
