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
  type MirrorTombstone,
  type TombstoneInput,
} from '../../domain/mirror.js';
import { searchWords } from '../../domain/search.js';
import type { Clock } from '../../ports/clock.js';
import type { MirrorRepository } from '../../ports/mirror-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { tsQuery } from './postgres-fts.js';

const mirrors = new PostgresCodec(mirrorFields);
const tombstones = new PostgresCodec(mirrorTombstoneFields);
const FILTERS = '($1::text IS NULL OR agent = $1) AND ($2::text IS NULL OR project = $2)';

type Filters = { agent?: string; project?: string; limit: number };

export class PostgresMirrorRepository implements MirrorRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async upsert(input: MirrorInput): Promise<Mirror> {
    const now = this.clock.now();
    const values = mirrorValues(input as Parameters<typeof mirrorValues>[0]);
    const { columns, params } = mirrors.toRow({ ...values, createdAt: now, updatedAt: now });
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
      [agent ?? null, project ?? null, limit],
    );
    return rows.map((row) => mirrors.fromRow(row));
  }

  async search(query: string, options?: MirrorSearchOptions): Promise<Mirror[]> {
    const { agent, project, limit } = options as Filters;
    const words = searchWords(query);
    if (words.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT ${mirrors.columnList} FROM mirrors WHERE search_vector @@ to_tsquery('simple', $4) AND ${FILTERS}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [agent ?? null, project ?? null, limit, tsQuery(words)],
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

  async isTombstoned(sourceIdentity: string): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM mirror_tombstones WHERE source_identity = $1', [sourceIdentity]);
    return (rowCount ?? 0) > 0;
  }
}
