import {
  MirrorInput,
  MirrorListOptions,
  MirrorSearchOptions,
  SourceIdentity,
  TombstoneInput,
  type Mirror,
  type MirrorTombstone,
} from '../domain/mirror.js';
import { SearchQuery } from '../domain/search.js';
import type { InputSchemas } from './validation.js';

/** Searchable copies of agent transcripts, and tombstones of the ones deliberately removed. */
export interface MirrorRepository {
  /**
   * Inserts or replaces the mirror of `sourceIdentity` in one atomic upsert: every field is
   * written, createdAt is kept from the first insert, updatedAt = now. Returns the row.
   * It does not consult tombstones: callers check `isTombstoned` first. A title and
   * conversationText with more distinct words than a search index can hold
   * (`mirrorSearchProblem`, about 1 MB of index) are refused with a ValidationError on
   * `conversationText`, and the stored mirror stays as it was. An identity is required
   * (as the daemon's store requires one): mirrors without one (sourceIdentity null, "no
   * transcript", as an import of the older daemon's file brings them) are listed and
   * searched, but nothing names them for `get`, `upsert` or `tombstone`.
   */
  upsert(input: MirrorInput): Promise<Mirror>;
  /** The mirror of `sourceIdentity`; `null` when there is none. */
  get(sourceIdentity: string): Promise<Mirror | null>;
  /** Mirrors matching the filters, by timestampStart descending (nulls last), then id descending; default limit 100. */
  list(options?: MirrorListOptions): Promise<Mirror[]>;
  /**
   * Full-text search over title and conversationText with the semantics of `searchWords`
   * (domain/search.ts): whole words, case-insensitive, EVERY word of the query must occur;
   * the query is plain text, never a query language, and a query without words returns [].
   * Filters (agent, project) must hold. Newest first (createdAt descending, then id
   * descending); at most `limit` (default 20).
   */
  search(query: string, options?: MirrorSearchOptions): Promise<Mirror[]>;
  /**
   * Removes the mirror of `sourceIdentity` (if any) and records the tombstone, atomically.
   * createdAt = now on the first tombstone; a repeated one updates agent and file facts and
   * keeps createdAt. `fileMtimeNs` is kept exactly (decimal integer nanoseconds; a digit
   * string or a bigint in, decimal text without leading zeros out). Returns the tombstone.
   */
  tombstone(input: TombstoneInput): Promise<MirrorTombstone>;
  /** Whether `sourceIdentity` has a tombstone. */
  isTombstoned(sourceIdentity: string): Promise<boolean>;
}

export const mirrorRepositoryInputs: InputSchemas<MirrorRepository> = {
  upsert: [['', MirrorInput]],
  get: [['sourceIdentity', SourceIdentity]],
  list: [['options', MirrorListOptions]],
  search: [
    ['query', SearchQuery],
    ['options', MirrorSearchOptions],
  ],
  tombstone: [['', TombstoneInput]],
  isTombstoned: [['sourceIdentity', SourceIdentity]],
};
