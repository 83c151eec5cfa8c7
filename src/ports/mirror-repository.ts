import { z } from 'zod';
import {
  MirrorInput,
  MirrorListOptions,
  MirrorSearchOptions,
  MirrorSessionIdOptions,
  SessionContextQuery,
  SourceIdentity,
  TombstoneInput,
  type Mirror,
  type MirrorSessionContext,
  type MirrorTombstone,
  type MirrorTranscriptState,
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
   * Full-text search over title and conversationText with the semantics of `searchTerms`
   * (domain/search.ts): whole words, case-insensitive, EVERY term of the query must occur;
   * a word directly followed by `*` matches as a prefix; otherwise the query is plain text,
   * never a query language, and a query without words returns [].
   * Filters must hold: `agent` (one agent, or a list of which any: the daemon's
   * `search_mirrors(query, agents)`), `project`. Newest first (createdAt descending, then id
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
  /**
   * The tombstone of `sourceIdentity` with the transcript's size and mtime when it was
   * recorded (the worker compares them with the file's and drops the tombstone when the
   * file changed); `null` when there is none.
   */
  getTombstone(sourceIdentity: string): Promise<MirrorTombstone | null>;
  /** Removes the tombstone of `sourceIdentity`; returns whether there was one. */
  deleteTombstone(sourceIdentity: string): Promise<boolean>;
  /**
   * Removes the mirror of `sourceIdentity` (its transcript has no conversation left) without
   * recording a tombstone; returns whether there was one. The daemon's
   * `delete_mirror(session_id, source_identity)` deletes by source identity whenever it has
   * one, which every caller passes; deleting by session id alone is not offered, as several
   * transcripts (mirrors) can share a session id.
   */
  delete(sourceIdentity: string): Promise<boolean>;
  /**
   * The mirror `telec history show <id>` shows: of the mirrors whose sessionId equals
   * `sessionIdOrPrefix` or starts with it (literally and case-sensitively), optionally of one
   * `computer`, an exact match first, then the shortest sessionId, then the most recently
   * updated (then the highest id); `null` when none. Deliberately stricter than the daemon's
   * `LIKE 'prefix%'`, which on SQLite ignores case and treats `%` and `_` as wildcards.
   */
  getBySessionId(sessionIdOrPrefix: string, options?: MirrorSessionIdOptions): Promise<Mirror | null>;
  /**
   * For reconciliation: every mirror whose `metadata.transcript_path` is a non-empty string,
   * keyed by that path, with its sourceIdentity and updatedAt (the worker skips a transcript
   * whose file is not newer). When several mirrors name the same path, the most recently
   * updated one (then the highest id) wins; the daemon kept whichever row came last.
   */
  stateByTranscript(): Promise<Map<string, MirrorTranscriptState>>;
  /**
   * The session a transcript belongs to: the session whose id is `sessionId`, else the newest
   * (createdAt, then id) whose nativeLogFile is `transcriptPath`; closed sessions included,
   * as in the daemon. `null` when neither matches. At least one of the two must be given.
   */
  sessionContext(query: SessionContextQuery): Promise<MirrorSessionContext | null>;
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
  getTombstone: [['sourceIdentity', SourceIdentity]],
  deleteTombstone: [['sourceIdentity', SourceIdentity]],
  delete: [['sourceIdentity', SourceIdentity]],
  getBySessionId: [
    ['sessionIdOrPrefix', z.string().min(1, 'must not be empty')],
    ['options', MirrorSessionIdOptions],
  ],
  stateByTranscript: [],
  sessionContext: [['query', SessionContextQuery]],
};
