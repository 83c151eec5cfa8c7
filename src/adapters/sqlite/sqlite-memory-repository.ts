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
import { SqliteCodec, sqlByShape } from './sqlite-codec.js';
import type { SqliteExecutor } from './sqlite-database.js';
import { ftsMatch } from './sqlite-fts.js';

const observations = new SqliteCodec(memoryObservationFields);
const summaries = new SqliteCodec(memorySummaryFields);
const manual = new SqliteCodec(memoryManualSessionFields);
const NEWEST = 'ORDER BY created_at DESC, id DESC';

// Row values order observations totally, so "before" and "after" the anchor never share a row.
const TIMELINE = `
  WITH a AS (SELECT project AS a_project, created_at AS a_created_at, id AS a_id FROM memory_observations WHERE id = @id),
  b AS (SELECT ${observations.columnList} FROM memory_observations, a
        WHERE project = a_project AND (created_at, id) < (a_created_at, a_id) ORDER BY created_at DESC, id DESC LIMIT @before),
  f AS (SELECT ${observations.columnList} FROM memory_observations, a
        WHERE project = a_project AND (created_at, id) > (a_created_at, a_id) ORDER BY created_at, id LIMIT @after)
  SELECT * FROM (SELECT * FROM b UNION ALL SELECT ${observations.columnList} FROM memory_observations WHERE id = @id UNION ALL SELECT * FROM f)
  ORDER BY created_at, id`;

function insertSql(table: string, columns: readonly string[], returning: string): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING ${returning}`;
}

const SELECT = `SELECT ${observations.columnList} FROM memory_observations`;
const RECENT_SUMMARIES = `SELECT ${summaries.columnList} FROM memory_summaries WHERE project = ? ${NEWEST} LIMIT ?`;
// The no-op DO UPDATE makes RETURNING yield the existing row: get-or-create in one statement.
const MANUAL_SESSION = `INSERT INTO memory_manual_sessions (memory_session_id, project, created_at) VALUES (?, ?, ?)
  ON CONFLICT (project) DO UPDATE SET project = excluded.project
  RETURNING ${manual.columnList}`;
const saveSql = sqlByShape<number>();
const summarySql = sqlByShape<number>();
const byIdsSql = sqlByShape<number>();
const recentSql = sqlByShape<number>();
const searchSql = sqlByShape<number>();

function mapObservations(rows: unknown[][]): MemoryObservation[] {
  return rows.map((row) => observations.fromArray(row));
}

export class SqliteMemoryRepository implements MemoryRepository {
  constructor(
    private readonly db: SqliteExecutor,
    private readonly clock: Clock,
  ) {}

  save(input: ObservationInput): Promise<MemoryObservation> {
    const { columns, params, shape } = observations.toRow(newObservation(input as Parameters<typeof newObservation>[0], this.clock.now()));
    const sql = saveSql(shape, () => insertSql('memory_observations', columns, observations.columnList));
    return this.db.run(() => observations.fromArray(this.db.prepareRaw(sql).get(params) as unknown[]));
  }

  delete(id: number): Promise<boolean> {
    return this.db.run(() => this.db.prepare('DELETE FROM memory_observations WHERE id = ?').run(id).changes > 0);
  }

  async getByIds(ids: number[], project?: string): Promise<MemoryObservation[]> {
    const unique = [...new Set(ids)];
    const byId = new Map((await this.byIds(unique, project, '')).map((o) => [o.id, o]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  batchFetch(ids: number[], options?: IdsOptions): Promise<MemoryObservation[]> {
    return this.byIds([...new Set(ids)], (options as { project?: string }).project, NEWEST);
  }

  private byIds(ids: number[], project: string | undefined, order: string): Promise<MemoryObservation[]> {
    if (ids.length === 0) return Promise.resolve([]);
    const where = project === undefined ? '' : ' AND project = ?';
    const params = project === undefined ? [JSON.stringify(ids)] : [JSON.stringify(ids), project];
    const sql = byIdsSql((project === undefined ? 0 : 1) | (order ? 2 : 0), () => `${SELECT} WHERE id IN (SELECT value FROM json_each(?))${where} ${order}`);
    return this.db.run(() => mapObservations(this.db.prepareRaw(sql).all(params) as unknown[][]));
  }

  timeline(anchorId: number, before = 3, after = 3): Promise<MemoryObservation[]> {
    return this.db.run(() => mapObservations(this.db.prepareRaw(TIMELINE).all({ id: anchorId, before, after }) as unknown[][]));
  }

  recent(project: string, options?: RecentOptions): Promise<MemoryObservation[]> {
    const { type, identityKey, limit } = options as { type?: string; identityKey?: string; limit: number };
    let where = 'project = ?';
    const params: unknown[] = [project];
    if (type !== undefined) {
      where += ' AND type = ?';
      params.push(type);
    }
    if (identityKey !== undefined) {
      where += ' AND (identity_key IS NULL OR identity_key = ?)';
      params.push(identityKey);
    }
    params.push(limit);
    const sql = recentSql((type === undefined ? 0 : 1) | (identityKey === undefined ? 0 : 2), () => `${SELECT} WHERE ${where} ${NEWEST} LIMIT ?`);
    return this.db.run(() => mapObservations(this.db.prepareRaw(sql).all(params) as unknown[][]));
  }

  saveSummary(input: SummaryInput): Promise<MemorySummary> {
    const { columns, params, shape } = summaries.toRow(newSummary(input as Parameters<typeof newSummary>[0], this.clock.now()));
    const sql = summarySql(shape, () => insertSql('memory_summaries', columns, summaries.columnList));
    return this.db.run(() => summaries.fromArray(this.db.prepareRaw(sql).get(params) as unknown[]));
  }

  recentSummaries(project: string, limit = 50): Promise<MemorySummary[]> {
    return this.db.run(() => (this.db.prepareRaw(RECENT_SUMMARIES).all(project, limit) as unknown[][]).map((row) => summaries.fromArray(row)));
  }

  manualSessionFor(project: string): Promise<MemoryManualSession> {
    const now = this.clock.now().getTime();
    return this.db.run(() => manual.fromArray(this.db.prepareRaw(MANUAL_SESSION).get(randomUUID(), project, now) as unknown[]));
  }

  search(query: string, options?: MemorySearchOptions): Promise<MemoryObservation[]> {
    const { project, type, identityKey, limit } = options as { project?: string; type?: string; identityKey?: string; limit: number };
    const terms = searchTerms(query);
    if (terms.length === 0) return Promise.resolve([]);
    const where = ['id IN (SELECT rowid FROM memory_observations_fts WHERE memory_observations_fts MATCH ?)'];
    const params: unknown[] = [ftsMatch(terms)];
    for (const [column, value] of [
      ['project', project],
      ['type', type],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (identityKey !== undefined) {
      where.push('(identity_key IS NULL OR identity_key = ?)');
      params.push(identityKey);
    }
    params.push(limit);
    const shape = (project === undefined ? 0 : 1) | (type === undefined ? 0 : 2) | (identityKey === undefined ? 0 : 4);
    const sql = searchSql(shape, () => `${SELECT} WHERE ${where.join(' AND ')} ${NEWEST} LIMIT ?`);
    return this.db.run(() => mapObservations(this.db.prepareRaw(sql).all(params) as unknown[][]));
  }
}
