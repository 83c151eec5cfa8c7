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
import { ident, MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { mirrorSearchWords, wordCondition } from './mariadb-fts.js';
import { withFields } from '../../domain/fields.js';

const mirrors = new MariadbCodec(mirrorFields);
const tombstones = new MariadbCodec(mirrorTombstoneFields);

type Filters = { agent?: string | string[]; project?: string; limit: number };

/** The agent and project filters over rows aliased `m`, and their parameters. */
function filters(agent: string | string[] | undefined, project: string | undefined): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  if (agent !== undefined) {
    // Validation refuses an empty list of agents.
    sql.push('m.agent IN (?)');
    params.push(([] as string[]).concat(agent));
  }
  if (project !== undefined) {
    sql.push('m.project = ?');
    params.push(project);
  }
  return { sql, params };
}

export class MariadbMirrorRepository implements MirrorRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async upsert(input: MirrorInput): Promise<Mirror> {
    const now = this.clock.now();
    const values = mirrorValues(input as Parameters<typeof mirrorValues>[0]);
    const { columns, params } = mirrors.toRow(withFields(values, { createdAt: now, updatedAt: now }));
    const all = [...columns, 'search_words'];
    const updates = all.filter((c) => !MIRROR_KEPT_ON_UPSERT.includes(c)).map((c) => `${ident(c)} = VALUES(${ident(c)})`);
    // The triggers replace the mirror's words when search_words changes.
    const { rows } = await this.db.query(
      `INSERT INTO mirrors (${all.map(ident).join(', ')}) VALUES (${placeholders(all.length)})
       ON DUPLICATE KEY UPDATE ${updates.join(', ')}
       RETURNING ${mirrors.columnList}`,
      [...params, mirrorSearchWords(values)],
    );
    return mirrors.fromRow(rows[0]!);
  }

  async get(sourceIdentity: string): Promise<Mirror | null> {
    const { rows } = await this.db.query(`SELECT ${mirrors.columnList} FROM mirrors WHERE source_identity = ?`, [sourceIdentity]);
    return rows[0] ? mirrors.fromRow(rows[0]) : null;
  }

  async list(options?: MirrorListOptions): Promise<Mirror[]> {
    const { agent, project, limit } = options as Filters;
    const where = filters(agent, project);
    // DESC puts NULLs last in MariaDB.
    const { rows } = await this.db.query(
      `SELECT ${mirrors.qualified('m')} FROM mirrors m ${where.sql.length ? `WHERE ${where.sql.join(' AND ')}` : ''}
       ORDER BY m.timestamp_start DESC, m.id DESC LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map((row) => mirrors.fromRow(row));
  }

  async search(query: string, options?: MirrorSearchOptions): Promise<Mirror[]> {
    const { agent, project, limit } = options as Filters;
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const words = wordCondition(terms, 'mirrors_words', 'mirror_id', 'm');
    const where = filters(agent, project);
    const { rows } = await this.db.query(
      `SELECT ${mirrors.qualified('m')} FROM mirrors m WHERE ${[words.sql, ...where.sql].join(' AND ')}
       ORDER BY m.created_at DESC, m.id DESC LIMIT ?`,
      [...words.params, ...where.params, limit],
    );
    return rows.map((row) => mirrors.fromRow(row));
  }

  async tombstone(input: TombstoneInput): Promise<MirrorTombstone> {
    const row = newTombstone(input as Parameters<typeof newTombstone>[0], this.clock.now());
    const { columns, params } = tombstones.toRow(row);
    return this.db.atomic(async (tx) => {
      await tx.query('DELETE FROM mirrors WHERE source_identity = ?', [row.sourceIdentity]);
      const { rows } = await tx.query(
        `INSERT INTO mirror_tombstones (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)})
         ON DUPLICATE KEY UPDATE agent = VALUES(agent), transcript_path = VALUES(transcript_path),
           file_size = VALUES(file_size), file_mtime_ns = VALUES(file_mtime_ns)
         RETURNING ${tombstones.columnList}`,
        params,
      );
      return tombstones.fromRow(rows[0]!);
    });
  }

  async getTombstone(sourceIdentity: string): Promise<MirrorTombstone | null> {
    const { rows } = await this.db.query(`SELECT ${tombstones.columnList} FROM mirror_tombstones WHERE source_identity = ?`, [sourceIdentity]);
    return rows[0] ? tombstones.fromRow(rows[0]) : null;
  }

  async deleteTombstone(sourceIdentity: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM mirror_tombstones WHERE source_identity = ?', [sourceIdentity]);
    return rowCount > 0;
  }

  async delete(sourceIdentity: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM mirrors WHERE source_identity = ?', [sourceIdentity]);
    return rowCount > 0;
  }

  async getBySessionId(sessionIdOrPrefix: string, options?: MirrorSessionIdOptions): Promise<Mirror | null> {
    const { computer } = options as { computer?: string };
    // LEFT, not LIKE: % and _ in an id are not wildcards.
    const { rows } = await this.db.query(
      `SELECT ${mirrors.columnList} FROM mirrors WHERE LEFT(session_id, CHAR_LENGTH(?)) = ? ${computer === undefined ? '' : 'AND computer = ?'}
       ORDER BY session_id = ? DESC, CHAR_LENGTH(session_id), updated_at DESC, id DESC LIMIT 1`,
      [sessionIdOrPrefix, sessionIdOrPrefix, ...(computer === undefined ? [] : [computer]), sessionIdOrPrefix],
    );
    return rows[0] ? mirrors.fromRow(rows[0]) : null;
  }

  async stateByTranscript(): Promise<Map<string, MirrorTranscriptState>> {
    // The path is read in JavaScript: MariaDB's JSON functions give up on documents nested
    // deeper than 32 levels, which the package stores. The LIKE only narrows the rows read.
    const { rows } = await this.db.query<{ metadata: string; source_identity: string; updated_at: number }>(
      `SELECT metadata, source_identity, updated_at FROM mirrors WHERE metadata LIKE '%"transcript\\_path"%' ORDER BY updated_at, id`,
    );
    // Ascending order: the newest mirror of a path is set last and wins.
    const out = new Map<string, MirrorTranscriptState>();
    for (const r of rows) {
      const metadata = JSON.parse(r.metadata) as unknown;
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) continue;
      const path = (metadata as Record<string, unknown>).transcript_path;
      if (typeof path === 'string' && path !== '') out.set(path, { sourceIdentity: r.source_identity, updatedAt: new Date(Number(r.updated_at)) });
    }
    return out;
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
       WHERE id = ? OR native_log_file = ?
       ORDER BY (id <=> ?) DESC, created_at DESC, id DESC LIMIT 1`,
      [sessionId, transcriptPath, sessionId],
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
    const { rowCount } = await this.db.query('SELECT 1 FROM mirror_tombstones WHERE source_identity = ?', [sourceIdentity]);
    return rowCount > 0;
  }
}
