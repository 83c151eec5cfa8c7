import {
  IdsOptions,
  MemorySearchOptions,
  ObservationInput,
  Project,
  RecentOptions,
  SummaryInput,
  type MemoryManualSession,
  type MemoryObservation,
  type MemorySummary,
} from '../domain/memory.js';
import { SearchQuery } from '../domain/search.js';
import { AutoId, Limit } from '../domain/validation.js';
import { z } from 'zod';
import type { InputSchemas } from './validation.js';

/** Observations, session summaries and per-project manual sessions of the agents' memory. */
export interface MemoryRepository {
  /**
   * Inserts an observation (createdAt = now) and returns it with its id. Searchable texts
   * with more distinct words than a search index can hold (`observationSearchProblem`)
   * are refused with a ValidationError on `narrative`.
   */
  save(input: ObservationInput): Promise<MemoryObservation>;
  /** Deletes an observation; returns whether it existed. */
  delete(id: number): Promise<boolean>;
  /**
   * The observations with these ids, in the order of `ids`; unknown ids are skipped, repeated
   * ids appear once. With `project`, only the ids of that project (the daemon's
   * `MemoryStore.get_by_ids(ids, project)`, which orders newest first: `batchFetch` does).
   */
  getByIds(ids: number[], project?: string): Promise<MemoryObservation[]>;
  /**
   * The observations with these ids (of `project` when given), newest first (createdAt
   * descending, then id descending): the daemon's `MemorySearch.batch_fetch` (POST
   * /memory/batch). Unknown ids are skipped, repeated ids appear once.
   */
  batchFetch(ids: number[], options?: IdsOptions): Promise<MemoryObservation[]>;
  /**
   * The observations around `anchorId` in time order: up to `before` (default 3) that come
   * before it, the anchor, up to `after` (default 3) that come after it, all of the anchor's
   * project; [] when the anchor does not exist. "Before" and "after" follow (createdAt, id),
   * so each observation appears once. Deliberately unlike the daemon's
   * `MemorySearch.timeline`, which compares whole seconds with `<=`/`>=` (an observation of
   * the anchor's second can appear both before and after it) and, without its optional
   * `project`, mixes in other projects' observations: a timeline is one project's history.
   */
  timeline(anchorId: number, before?: number, after?: number): Promise<MemoryObservation[]>;
  /**
   * The newest observations of a project (createdAt descending, then id descending); default
   * limit 50. `type` keeps one type; `identityKey` keeps the observations of that identity
   * AND the unscoped ones (identityKey null), as the daemon's context builder reads them.
   */
  recent(project: string, options?: RecentOptions): Promise<MemoryObservation[]>;
  /** Inserts a session summary (createdAt = now). */
  saveSummary(input: SummaryInput): Promise<MemorySummary>;
  /** The newest summaries of a project (createdAt descending, then id descending); default limit 50. */
  recentSummaries(project: string, limit?: number): Promise<MemorySummary[]>;
  /**
   * The manual memory session of the project, created (with a new uuid, createdAt = now)
   * when there is none, in one atomic statement: concurrent callers get the same row.
   */
  manualSessionFor(project: string): Promise<MemoryManualSession>;
  /**
   * Full-text search over title, subtitle, narrative, facts and concepts with the semantics
   * of `searchTerms` (domain/search.ts): whole words, case-insensitive, EVERY term of the
   * query must occur somewhere in those fields (not necessarily in one field); a word
   * directly followed by `*` matches as a prefix; otherwise the query is plain text, never
   * a query language, and a query without words returns []. Filters must all hold:
   * `project`, `type`, and `identityKey`, which keeps the observations of that identity AND
   * the unscoped ones (identityKey null), as the daemon does. Newest first (createdAt
   * descending, then id descending); at most `limit` (default 20).
   *
   * Deliberately unlike the daemon, which passes the query to FTS5 as its query language
   * (phrases, OR, NOT, NEAR, column filters) and falls back to a substring match when FTS5
   * refuses it: the same query must mean the same on PostgreSQL, and user text must never
   * fail or change meaning because it looks like syntax. Only the trailing `*`, what users
   * actually type, is kept.
   */
  search(query: string, options?: MemorySearchOptions): Promise<MemoryObservation[]>;
}

const Ids = z.array(AutoId).max(10_000, 'must list at most 10000 ids');
const Depth = z.number().int('must be an integer').nonnegative('must not be negative').max(1000, 'must be at most 1000');

export const memoryRepositoryInputs: InputSchemas<MemoryRepository> = {
  save: [['', ObservationInput]],
  delete: [['id', AutoId]],
  getByIds: [
    ['ids', Ids],
    ['project', Project.optional()],
  ],
  batchFetch: [
    ['ids', Ids],
    ['options', IdsOptions],
  ],
  timeline: [
    ['anchorId', AutoId],
    ['before', Depth.default(3)],
    ['after', Depth.default(3)],
  ],
  recent: [
    ['project', Project],
    ['options', RecentOptions],
  ],
  saveSummary: [['', SummaryInput]],
  recentSummaries: [
    ['project', Project],
    ['limit', Limit.default(50)],
  ],
  manualSessionFor: [['project', Project]],
  search: [
    ['query', SearchQuery],
    ['options', MemorySearchOptions],
  ],
};
