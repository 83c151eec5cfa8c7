import {
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
  /** The observations with these ids, in the order of `ids`; unknown ids are skipped, repeated ids appear once. */
  getByIds(ids: number[]): Promise<MemoryObservation[]>;
  /** The newest observations of a project (createdAt descending, then id descending), optionally of one type; default limit 50. */
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
   * of `searchWords` (domain/search.ts): whole words, case-insensitive, EVERY word of the
   * query must occur somewhere in those fields (not necessarily in one field); the query is
   * plain text, never a query language, and a query without words returns []. Filters
   * (project, type, identityKey) must all hold. Newest first (createdAt descending, then id
   * descending); at most `limit` (default 20).
   */
  search(query: string, options?: MemorySearchOptions): Promise<MemoryObservation[]>;
}

export const memoryRepositoryInputs: InputSchemas<MemoryRepository> = {
  save: [['', ObservationInput]],
  delete: [['id', AutoId]],
  getByIds: [['ids', z.array(AutoId).max(10_000, 'must list at most 10000 ids')]],
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
