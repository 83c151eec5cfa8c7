import { z } from 'zod';
import {
  SESSION_FIELD_NAMES,
  SESSION_LOOKUP_FIELDS,
  SessionCreateInput,
  SessionListFilter,
  SessionPatch,
  type Session,
  type SessionLookupField,
} from '../domain/session.js';
import { Id } from '../domain/validation.js';
import type { InputSchemas } from './validation.js';

/** Sessions: one row per agent session. Mutations of a missing id throw `NotFoundError`. */
export interface SessionRepository {
  /**
   * Inserts a session. Defaults: id = a new uuid, title = `[<computerName>] Untitled`,
   * status `active`, origin `telegram`, terminalSize `80x24`; createdAt = lastActivity = now.
   * Throws `ConflictError` when the id exists, `ValidationError` on bad input.
   */
  create(input: SessionCreateInput): Promise<Session>;
  /** Like `create`, with status `headless` and tmuxSessionName ''. */
  createHeadless(input: SessionCreateInput): Promise<Session>;
  /** The session with this id, closed or not; `null` when there is none. */
  get(id: string): Promise<Session | null>;
  /**
   * One field of one session, read with one single-column query (the hook receiver and the
   * CLI read `nativeSessionId`, `tmuxSessionName` and the like from short-lived processes).
   * `field` is any field name of `Session` (an allow-list: anything else is a
   * ValidationError); the value is typed and decoded as in `get`. `null` when the session
   * does not exist or the field is null, as the daemon's `get_session_field`.
   */
  getField<F extends keyof Session>(id: string, field: F): Promise<Session[F] | null>;
  /**
   * The newest (by createdAt, then id) open session (closedAt null, status not closed) whose
   * `field` equals `value`, `null` when none matches. By default only an `active` session
   * matches, as in the daemon: a headless session (tmuxSessionName '') or a closing one must
   * not receive input meant for a live one. `includeInitializing` widens it, as the daemon's
   * `include_initializing` does, to every open session (initializing, headless, closing),
   * for callers resolving a session that is still starting.
   *
   * The newest first, deliberately unlike the daemon's unordered first row (in practice the
   * oldest): when a crash leaves a session open and its tmux name or native id is reused,
   * the stale row is the older one; the daemon's hook receiver (`_fetch_session_id_sync`)
   * also takes the most recent.
   */
  findOneBy(field: SessionLookupField, value: string, options?: { includeInitializing?: boolean }): Promise<Session | null>;
  /**
   * Sessions matching every given filter, ordered by lastActivity descending (then id).
   * By default only open `active` sessions; `includeInitializing`, `includeHeadless` and
   * `includeClosed` (closing and closed) widen the statuses shown.
   */
  list(filter?: SessionListFilter): Promise<Session[]>;
  /**
   * Writes only the given fields and returns the updated session. Setting
   * `lastMessageSent` also stamps `lastMessageSentAt` = now, setting `lastOutputRaw`
   * stamps `lastOutputAt` = now (unless the patch sets those explicitly).
   */
  update(id: string, patch: SessionPatch): Promise<Session>;
  /** Sets lastActivity = now. */
  touch(id: string): Promise<void>;
  /**
   * Closes the session: closedAt = now, status `closed`. Idempotent: closing a closed
   * session keeps its first closedAt. Returns the closed session.
   */
  close(id: string): Promise<Session>;
  /** Deletes the session; its tokens, pending deletions and other dependent rows go with it. */
  delete(id: string): Promise<void>;
  /** Number of sessions, closed ones included, optionally of one computer. */
  count(filter?: { computerName?: string }): Promise<number>;
  /**
   * Sessions whose `adapterMetadata[adapter][key]` equals `value`, newest activity first.
   * A stored integer also matches its string form (and the reverse). Closed sessions
   * only with `includeClosed`.
   */
  findByAdapterMetadata(
    adapter: string,
    key: string,
    value: string | number,
    options?: { includeClosed?: boolean },
  ): Promise<Session[]>;
  /**
   * Open, non-headless sessions whose title starts with `prefix` (case-sensitive,
   * no wildcards), newest createdAt first.
   */
  findByTitlePrefix(prefix: string): Promise<Session[]>;
  /** Sets ownerPerson/ownerUid on every session that has no owner; returns how many changed. */
  backfillOwner(person: string, uid: number): Promise<number>;
}

const IncludeInitializing = z.object({ includeInitializing: z.boolean().optional() }).strict().optional();
const IncludeClosed = z.object({ includeClosed: z.boolean().optional() }).strict().optional();
const NonEmpty = z.string().min(1, 'must not be empty');

export const sessionRepositoryInputs: InputSchemas<SessionRepository> = {
  create: [['', SessionCreateInput]],
  createHeadless: [['', SessionCreateInput]],
  get: [['id', Id]],
  getField: [
    ['id', Id],
    ['field', z.enum(SESSION_FIELD_NAMES)],
  ],
  findOneBy: [
    ['field', z.enum(SESSION_LOOKUP_FIELDS)],
    ['value', z.string()],
    ['options', IncludeInitializing],
  ],
  list: [['filter', SessionListFilter.optional()]],
  update: [
    ['id', Id],
    ['patch', SessionPatch],
  ],
  touch: [['id', Id]],
  close: [['id', Id]],
  delete: [['id', Id]],
  count: [['filter', z.object({ computerName: z.string().optional() }).strict().optional()]],
  findByAdapterMetadata: [
    ['adapter', NonEmpty],
    ['key', NonEmpty],
    ['value', z.union([z.string(), z.number().int('must be an integer')])],
    ['options', IncludeClosed],
  ],
  findByTitlePrefix: [['prefix', z.string()]],
  backfillOwner: [
    ['person', NonEmpty],
    ['uid', z.number().int('must be an integer')],
  ],
};
