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
import { SqliteCodec } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { ftsMatch } from './sqlite-fts.js';

const observations = new SqliteCodec(memoryObservationFields);
const summaries = new SqliteCodec(memorySummaryFields);
const manual = new SqliteCodec(memoryManualSessionFields);
const NEWEST = 'ORDER BY created_at DESC, id DESC';

function insertSql(table: string, columns: string[], returning: string): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING ${returning}`;
}

export class SqliteMemoryRepository implements MemoryRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  save(input: ObservationInput): Promise<MemoryObservation> {
    const { columns, params } = observations.toRow(newObservation(input as Parameters<typeof newObservation>[0], this.clock.now()));
    const sql = insertSql('memory_observations', columns, observations.columnList);
    return this.db.run(() => observations.fromRow(this.db.prepare(sql).get(params) as Record<string, unknown>));
  }

  delete(id: number): Promise<boolean> {
    return this.db.run(() => this.db.prepare('DELETE FROM memory_observations WHERE id = ?').run(id).changes > 0);
  }

  getByIds(ids: number[]): Promise<MemoryObservation[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return Promise.resolve([]);
    return this.db.run(() => {
      const rows = this.db
        .prepare(`SELECT ${observations.columnList} FROM memory_observations WHERE id IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(unique))
        .map((row) => observations.fromRow(row as Record<string, unknown>));
      const byId = new Map(rows.map((o) => [o.id, o]));
      return unique.flatMap((id) => byId.get(id) ?? []);
    });
  }

  recent(project: string, options?: RecentOptions): Promise<MemoryObservation[]> {
    const { type, limit } = options as { type?: string; limit: number };
    const where = type === undefined ? 'project = ?' : 'project = ? AND type = ?';
    const params = type === undefined ? [project, limit] : [project, type, limit];
    return this.db.run(() =>
      this.db
        .prepare(`SELECT ${observations.columnList} FROM memory_observations WHERE ${where} ${NEWEST} LIMIT ?`)
        .all(params)
        .map((row) => observations.fromRow(row as Record<string, unknown>)),
    );
  }

  saveSummary(input: SummaryInput): Promise<MemorySummary> {
    const { columns, params } = summaries.toRow(newSummary(input as Parameters<typeof newSummary>[0], this.clock.now()));
    const sql = insertSql('memory_summaries', columns, summaries.columnList);
    return this.db.run(() => summaries.fromRow(this.db.prepare(sql).get(params) as Record<string, unknown>));
  }

  recentSummaries(project: string, limit = 50): Promise<MemorySummary[]> {
    return this.db.run(() =>
      this.db
        .prepare(`SELECT ${summaries.columnList} FROM memory_summaries WHERE project = ? ${NEWEST} LIMIT ?`)
        .all(project, limit)
        .map((row) => summaries.fromRow(row as Record<string, unknown>)),
    );
  }

  manualSessionFor(project: string): Promise<MemoryManualSession> {
    const now = this.clock.now().getTime();
    // The no-op DO UPDATE makes RETURNING yield the existing row: get-or-create in one statement.
    return this.db.run(() =>
      manual.fromRow(
        this.db
          .prepare(
            `INSERT INTO memory_manual_sessions (memory_session_id, project, created_at) VALUES (?, ?, ?)
             ON CONFLICT (project) DO UPDATE SET project = excluded.project
             RETURNING ${manual.columnList}`,
          )
          .get(randomUUID(), project, now) as Record<string, unknown>,
      ),
    );
  }

  search(query: string, options?: MemorySearchOptions): Promise<MemoryObservation[]> {
    const { project, type, identityKey, limit } = options as { project?: string; type?: string; identityKey?: string; limit: number };
    const words = searchWords(query);
    if (words.length === 0) return Promise.resolve([]);
    const where = ['id IN (SELECT rowid FROM memory_observations_fts WHERE memory_observations_fts MATCH ?)'];
    const params: unknown[] = [ftsMatch(words)];
    for (const [column, value] of [
      ['project', project],
      ['type', type],
      ['identity_key', identityKey],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    params.push(limit);
    return this.db.run(() =>
      this.db
        .prepare(`SELECT ${observations.columnList} FROM memory_observations WHERE ${where.join(' AND ')} ${NEWEST} LIMIT ?`)
        .all(params)
        .map((row) => observations.fromRow(row as Record<string, unknown>)),
    );
  }
}
