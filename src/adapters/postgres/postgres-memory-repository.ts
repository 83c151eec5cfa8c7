import { randomUUID } from 'node:crypto';
import {
  memoryManualSessionFields,
  memoryObservationFields,
  memorySummaryFields,
  newObservation,
  newSummary,
  type IdsOptions,
  type MemoryManualSession,
  type MemoryObservation,
  type MemorySearchOptions,
  type MemorySummary,
  type ObservationInput,
  type RecentOptions,
  type SummaryInput,
} from '../../domain/memory.js';
import { searchTerms } from '../../domain/search.js';
import type { Clock } from '../../ports/clock.js';
import type { MemoryRepository } from '../../ports/memory-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { tsQuery } from './postgres-fts.js';

const observations = new PostgresCodec(memoryObservationFields);
const summaries = new PostgresCodec(memorySummaryFields);
const manual = new PostgresCodec(memoryManualSessionFields);
const NEWEST = 'ORDER BY created_at DESC, id DESC';

// Row values order observations totally, so "before" and "after" the anchor never share a row.
const TIMELINE = `
  WITH a AS (SELECT project AS a_project, created_at AS a_created_at, id AS a_id FROM memory_observations WHERE id = $1),
  b AS (SELECT ${observations.columnList} FROM memory_observations, a
        WHERE project = a_project AND (created_at, id) < (a_created_at, a_id) ORDER BY created_at DESC, id DESC LIMIT $2),
  f AS (SELECT ${observations.columnList} FROM memory_observations, a
        WHERE project = a_project AND (created_at, id) > (a_created_at, a_id) ORDER BY created_at, id LIMIT $3)
  SELECT * FROM (SELECT * FROM b UNION ALL SELECT ${observations.columnList} FROM memory_observations WHERE id = $1 UNION ALL SELECT * FROM f) x
  ORDER BY created_at, id`;

function insertSql(table: string, columns: string[], returning: string): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${returning}`;
}

export class PostgresMemoryRepository implements MemoryRepository {
  constructor(
    private readonly db: PostgresExecutor,
    private readonly clock: Clock,
  ) {}

  async save(input: ObservationInput): Promise<MemoryObservation> {
    const { columns, params } = observations.toRow(newObservation(input as Parameters<typeof newObservation>[0], this.clock.now()));
    const { rows } = await this.db.query(insertSql('memory_observations', columns, observations.columnList), params);
    return observations.fromRow(rows[0]!);
  }

  async delete(id: number): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM memory_observations WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async getByIds(ids: number[], project?: string): Promise<MemoryObservation[]> {
    const unique = [...new Set(ids)];
    const byId = new Map((await this.byIds(unique, project, '')).map((o) => [o.id, o]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  batchFetch(ids: number[], options?: IdsOptions): Promise<MemoryObservation[]> {
    return this.byIds([...new Set(ids)], (options as { project?: string }).project, NEWEST);
  }

  private async byIds(ids: number[], project: string | undefined, order: string): Promise<MemoryObservation[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT ${observations.columnList} FROM memory_observations WHERE id = ANY($1::bigint[]) AND ($2::text IS NULL OR project = $2) ${order}`,
      [ids, project ?? null],
    );
    return rows.map((row) => observations.fromRow(row));
  }

  async timeline(anchorId: number, before = 3, after = 3): Promise<MemoryObservation[]> {
    const { rows } = await this.db.query(TIMELINE, [anchorId, before, after]);
    return rows.map((row) => observations.fromRow(row));
  }

  async recent(project: string, options?: RecentOptions): Promise<MemoryObservation[]> {
    const { type, identityKey, limit } = options as { type?: string; identityKey?: string; limit: number };
    // Each optional filter is written out only when given, so the planner sees the index it can use.
    const where = ['project = $1'];
    const params: unknown[] = [project, limit];
    if (type !== undefined) where.push(`type = $${params.push(type)}`);
    if (identityKey !== undefined) where.push(`(identity_key IS NULL OR identity_key = $${params.push(identityKey)})`);
    const { rows } = await this.db.query(
      `SELECT ${observations.columnList} FROM memory_observations WHERE ${where.join(' AND ')} ${NEWEST} LIMIT $2`,
      params,
    );
    return rows.map((row) => observations.fromRow(row));
  }

  async saveSummary(input: SummaryInput): Promise<MemorySummary> {
    const { columns, params } = summaries.toRow(newSummary(input as Parameters<typeof newSummary>[0], this.clock.now()));
    const { rows } = await this.db.query(insertSql('memory_summaries', columns, summaries.columnList), params);
    return summaries.fromRow(rows[0]!);
  }

  async recentSummaries(project: string, limit = 50): Promise<MemorySummary[]> {
    const { rows } = await this.db.query(`SELECT ${summaries.columnList} FROM memory_summaries WHERE project = $1 ${NEWEST} LIMIT $2`, [
      project,
      limit,
    ]);
    return rows.map((row) => summaries.fromRow(row));
  }

  async manualSessionFor(project: string): Promise<MemoryManualSession> {
    // The no-op DO UPDATE makes RETURNING yield the existing row: get-or-create in one statement.
    const { rows } = await this.db.query(
      `INSERT INTO memory_manual_sessions (memory_session_id, project, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (project) DO UPDATE SET project = excluded.project
       RETURNING ${manual.columnList}`,
      [randomUUID(), project, this.clock.now()],
    );
    return manual.fromRow(rows[0]!);
  }

  async search(query: string, options?: MemorySearchOptions): Promise<MemoryObservation[]> {
    const { project, type, identityKey, limit } = options as { project?: string; type?: string; identityKey?: string; limit: number };
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT ${observations.columnList} FROM memory_observations
       WHERE search_vector @@ $1::tsquery
         AND ($2::text IS NULL OR project = $2) AND ($3::text IS NULL OR type = $3)
         AND ($4::text IS NULL OR identity_key IS NULL OR identity_key = $4)
       ${NEWEST} LIMIT $5`,
      [tsQuery(terms), project ?? null, type ?? null, identityKey ?? null, limit],
    );
    return rows.map((row) => observations.fromRow(row));
  }
}
