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
import { ident, MariadbCodec, placeholders } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { observationSearchWords, wordCondition } from './mariadb-fts.js';

const observations = new MariadbCodec(memoryObservationFields);
const summaries = new MariadbCodec(memorySummaryFields);
const manual = new MariadbCodec(memoryManualSessionFields);
const O = observations.columnList;
const NEWEST = 'ORDER BY created_at DESC, id DESC';

// (created_at, id) orders observations totally, so "before" and "after" the anchor never share a row.
const TIMELINE = `
  WITH a AS (SELECT project AS a_project, created_at AS a_created_at, id AS a_id FROM memory_observations WHERE id = ?)
  SELECT * FROM (
    (SELECT ${O} FROM memory_observations, a
     WHERE project = a_project AND (created_at < a_created_at OR created_at = a_created_at AND id < a_id)
     ORDER BY created_at DESC, id DESC LIMIT ?)
    UNION ALL
    (SELECT ${O} FROM memory_observations WHERE id = ?)
    UNION ALL
    (SELECT ${O} FROM memory_observations, a
     WHERE project = a_project AND (created_at > a_created_at OR created_at = a_created_at AND id > a_id)
     ORDER BY created_at, id LIMIT ?)
  ) x
  ORDER BY created_at, id`;

function insertSql(table: string, columns: string[], returning: string): string {
  return `INSERT INTO ${table} (${columns.map(ident).join(', ')}) VALUES (${placeholders(columns.length)}) RETURNING ${returning}`;
}

export class MariadbMemoryRepository implements MemoryRepository {
  constructor(
    private readonly db: MariadbExecutor,
    private readonly clock: Clock,
  ) {}

  async save(input: ObservationInput): Promise<MemoryObservation> {
    const observation = newObservation(input as Parameters<typeof newObservation>[0], this.clock.now());
    const { columns, params } = observations.toRow(observation);
    // The insert trigger files search_words into the word table in the same statement.
    const { rows } = await this.db.query(insertSql('memory_observations', [...columns, 'search_words'], O), [
      ...params,
      observationSearchWords(observation),
    ]);
    return observations.fromRow(rows[0]!);
  }

  async delete(id: number): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM memory_observations WHERE id = ?', [id]);
    return rowCount > 0;
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
    const { rows } =
      project === undefined
        ? await this.db.query(`SELECT ${O} FROM memory_observations WHERE id IN (?) ${order}`, [ids])
        : await this.db.query(`SELECT ${O} FROM memory_observations WHERE id IN (?) AND project = ? ${order}`, [ids, project]);
    return rows.map((row) => observations.fromRow(row));
  }

  async timeline(anchorId: number, before = 3, after = 3): Promise<MemoryObservation[]> {
    const { rows } = await this.db.query(TIMELINE, [anchorId, before, anchorId, after]);
    return rows.map((row) => observations.fromRow(row));
  }

  async recent(project: string, options?: RecentOptions): Promise<MemoryObservation[]> {
    const { type, identityKey, limit } = options as { type?: string; identityKey?: string; limit: number };
    // Each optional filter is written out only when given, so the optimizer sees the index it can use.
    const where = ['project = ?'];
    const params: unknown[] = [project];
    if (type !== undefined) {
      where.push('type = ?');
      params.push(type);
    }
    if (identityKey !== undefined) {
      where.push('(identity_key IS NULL OR identity_key = ?)');
      params.push(identityKey);
    }
    const { rows } = await this.db.query(`SELECT ${O} FROM memory_observations WHERE ${where.join(' AND ')} ${NEWEST} LIMIT ?`, [...params, limit]);
    return rows.map((row) => observations.fromRow(row));
  }

  async saveSummary(input: SummaryInput): Promise<MemorySummary> {
    const { columns, params } = summaries.toRow(newSummary(input as Parameters<typeof newSummary>[0], this.clock.now()));
    const { rows } = await this.db.query(insertSql('memory_summaries', columns, summaries.columnList), params);
    return summaries.fromRow(rows[0]!);
  }

  async recentSummaries(project: string, limit = 50): Promise<MemorySummary[]> {
    const { rows } = await this.db.query(`SELECT ${summaries.columnList} FROM memory_summaries WHERE project = ? ${NEWEST} LIMIT ?`, [project, limit]);
    return rows.map((row) => summaries.fromRow(row));
  }

  async manualSessionFor(project: string): Promise<MemoryManualSession> {
    // The no-op update makes RETURNING yield the existing row: get-or-create in one statement.
    const { rows } = await this.db.query(
      `INSERT INTO memory_manual_sessions (memory_session_id, project, created_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE project = project
       RETURNING ${manual.columnList}`,
      [randomUUID(), project, this.clock.now().getTime()],
    );
    return manual.fromRow(rows[0]!);
  }

  async search(query: string, options?: MemorySearchOptions): Promise<MemoryObservation[]> {
    const { project, type, identityKey, limit } = options as { project?: string; type?: string; identityKey?: string; limit: number };
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const words = wordCondition(terms, 'memory_observations_words', 'observation_id', 'o');
    const where = [words.sql];
    const params: unknown[] = [...words.params];
    if (project !== undefined) {
      where.push('o.project = ?');
      params.push(project);
    }
    if (type !== undefined) {
      where.push('o.type = ?');
      params.push(type);
    }
    if (identityKey !== undefined) {
      where.push('(o.identity_key IS NULL OR o.identity_key = ?)');
      params.push(identityKey);
    }
    const { rows } = await this.db.query(
      `SELECT ${observations.qualified('o')} FROM memory_observations o WHERE ${where.join(' AND ')}
       ORDER BY o.created_at DESC, o.id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map((row) => observations.fromRow(row));
  }
}
