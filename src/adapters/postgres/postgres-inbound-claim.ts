import { NotFoundError } from '../../domain/errors.js';
import { inboundMessageFields, type InboundMessage } from '../../domain/inbound-queue.js';
import { lockCutoff, type Claimed } from '../../domain/work-queue.js';
import { PostgresCodec } from './postgres-codec.js';
import type { PostgresExecutor } from './postgres-database.js';
import { withFields } from '../../domain/fields.js';

const codec = new PostgresCodec(inboundMessageFields);

/*
 * The inbound claim rules in SQL, over rows `x`: $1 is now, $2 the lock cutoff (now - TTL).
 * A message is claimable when it is not final and no live lock holds it (a lock is live
 * until it is older than the TTL and any extension has passed); due when it is a stale
 * processing one or its retry time has come; in flight when it is processing under a live lock.
 */
const claimable = (x: string) =>
  `(${x}.status IN ('pending', 'failed', 'processing') AND ${x}.dead_at IS NULL
    AND (${x}.locked_at IS NULL OR ${x}.locked_at < $2 AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < $1)))`;
const due = (x: string) => `(${x}.status = 'processing' OR ${x}.next_retry_at IS NULL OR ${x}.next_retry_at <= $1)`;
const inFlight = (x: string) =>
  `(${x}.status = 'processing' AND ${x}.locked_at IS NOT NULL
    AND NOT (${x}.locked_at < $2 AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < $1)))`;
/** No other message of t's session is in flight, and none older is claimable and due. */
const headOf = (t: string, from: string) =>
  `NOT EXISTS (SELECT 1 FROM ${from} o WHERE ${from === 'inbound_queue' ? `o.session_id = ${t}.session_id AND ` : ''}o.id <> ${t}.id
     AND (${inFlight('o')} OR o.id < ${t}.id AND ${claimable('o')} AND ${due('o')}))`;

// The session's open messages, locked in id order and read at their latest committed
// version (FOR UPDATE re-reads a row another transaction changed after this statement's
// snapshot): two claims of one session serialise here, and the second sees the first's
// claim, which a snapshot-only check could miss.
const SIBLINGS = `siblings AS (SELECT s.id, s.status, s.locked_at, s.lock_expires_at, s.next_retry_at, s.dead_at FROM inbound_queue s
    WHERE s.session_id = (SELECT session_id FROM candidate) AND s.status IN ('pending', 'failed', 'processing')
    ORDER BY s.id FOR UPDATE)`;
const UPDATE = `updated AS (UPDATE inbound_queue SET status = 'processing', locked_at = $1, lock_expires_at = NULL,
      claim_token = gen_random_uuid()::text
    WHERE id = (SELECT id FROM chosen) RETURNING ${codec.columnList}, claim_token)
  SELECT EXISTS (SELECT 1 FROM candidate) AS found, updated.* FROM (SELECT 1) AS one LEFT JOIN updated ON true`;

const CLAIM_ID = `WITH candidate AS (SELECT id, session_id FROM inbound_queue WHERE id = $3),
  ${SIBLINGS},
  chosen AS (SELECT t.id FROM siblings t WHERE t.id = $3 AND ${claimable('t')} AND ${headOf('t', 'siblings')}),
  ${UPDATE}`;

const claimNextSql = (bySession: boolean) => `WITH candidate AS (SELECT q.id, q.session_id FROM inbound_queue q
    WHERE ${claimable('q')} AND ${due('q')} ${bySession ? 'AND q.session_id = $3' : ''} AND ${headOf('q', 'inbound_queue')}
    ORDER BY q.id LIMIT 1 FOR UPDATE SKIP LOCKED),
  ${SIBLINGS},
  chosen AS (SELECT t.id FROM siblings t WHERE ${claimable('t')} AND ${due('t')} AND ${headOf('t', 'siblings')} ORDER BY t.id LIMIT 1),
  ${UPDATE}`;
const CLAIM_NEXT = claimNextSql(false);
const CLAIM_NEXT_OF_SESSION = claimNextSql(true);

type Row = Record<string, unknown> & { found: boolean; claim_token: string | null };
const claimed = (row: Row | undefined): Claimed<InboundMessage> | null =>
  row?.claim_token ? withFields(codec.fromRow(row), { claimToken: row.claim_token }) : null;

/** `InboundQueueRepository.claim` on PostgreSQL. */
export async function claimInboundById(db: PostgresExecutor, now: Date, ttlMs: number, id: number): Promise<Claimed<InboundMessage> | null> {
  const { rows } = await db.query<Row>(CLAIM_ID, [now, lockCutoff(now, ttlMs), id]);
  if (!rows[0]!.found) throw new NotFoundError('inbound message', id);
  return claimed(rows[0]);
}

/** `InboundQueueRepository.claimNext` on PostgreSQL. */
export async function claimNextInbound(
  db: PostgresExecutor,
  now: Date,
  ttlMs: number,
  sessionId: string | undefined,
): Promise<Claimed<InboundMessage> | null> {
  const params = [now, lockCutoff(now, ttlMs), ...(sessionId === undefined ? [] : [sessionId])];
  // A candidate whose session another worker claimed meanwhile yields nothing; the next
  // attempt's snapshot sees that claim and picks another session's head.
  for (let attempt = 0; attempt < 8; attempt++) {
    const { rows } = await db.query<Row>(sessionId === undefined ? CLAIM_NEXT : CLAIM_NEXT_OF_SESSION, params);
    if (!rows[0]!.found) return null;
    const row = claimed(rows[0]);
    if (row) return row;
  }
  return null;
}
