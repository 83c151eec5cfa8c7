import { randomUUID } from 'node:crypto';
import {
  memoryManualSessionFields,
  memoryObservationFields,
  memorySummaryFields,
  newObservation,
  newSummary,
  type MemoryManualSession,
  type MemoryObservation,
  type MemorySearchOptions,
  type MemorySummary,
  type ObservationInput,
  type RecentOptions,
  type SummaryInput,
} from '../../domain/memory.js';
import { searchWords } from '../../domain/search.js';
import type { Clock } from '../../ports/clock.js';
import type { MemoryRepository } from '../../ports/memory-repository.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { tsQuery } from './postgres-fts.js';

const observations = new PostgresCodec(memoryObservationFields);
const summaries = new PostgresCodec(memorySummaryFields);
const manual = new PostgresCodec(memoryManualSessionFields);
const NEWEST = 'ORDER BY created_at DESC, id DESC';

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

  async getByIds(ids: number[]): Promise<MemoryObservation[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const { rows } = await this.db.query(`SELECT ${observations.columnList} FROM memory_observations WHERE id = ANY($1::bigint[])`, [
      unique,
    ]);
    const byId = new Map(rows.map((row) => observations.fromRow(row)).map((o) => [o.id, o]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  async recent(project: string, options?: RecentOptions): Promise<MemoryObservation[]> {
    const { type, limit } = options as { type?: string; limit: number };
    const { rows } = await this.db.query(
      `SELECT ${observations.columnList} FROM memory_observations
       WHERE project = $1 AND ($2::text IS NULL OR type = $2) ${NEWEST} LIMIT $3`,
      [project, type ?? null, limit],
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
    const words = searchWords(query);
    if (words.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT ${observations.columnList} FROM memory_observations
       WHERE search_vector @@ to_tsquery('simple', $1)
         AND ($2::text IS NULL OR project = $2) AND ($3::text IS NULL OR type = $3) AND ($4::text IS NULL OR identity_key = $4)
       ${NEWEST} LIMIT $5`,
      [tsQuery(words), project ?? null, type ?? null, identityKey ?? null, limit],
    );
    return rows.map((row) => observations.fromRow(row));
  }
}
