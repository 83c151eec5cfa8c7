import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../domain/errors.js';
import { inboundMessageFields, type InboundMessage } from '../../domain/inbound-queue.js';
import { lockCutoff, type Claimed } from '../../domain/work-queue.js';
import { MariadbCodec } from './mariadb-codec.js';
import type { MariadbExecutor } from './mariadb-database.js';
import { withFields } from '../../domain/fields.js';

const codec = new MariadbCodec(inboundMessageFields);

/*
 * The inbound claim rules (see postgres-inbound-claim.ts), over rows `x`, with the instants
 * from a one-row table `p` (now_ms, cutoff_ms = now - TTL). A message is claimable when it
 * is not final and no live lock holds it (a lock is live until it is older than the TTL
 * and any extension has passed); due when it is a stale processing one or its retry time
 * has come; in flight when it is processing under a live lock.
 */
const claimable = (x: string) =>
  `(${x}.status IN ('pending', 'failed', 'processing') AND ${x}.dead_at IS NULL
    AND (${x}.locked_at IS NULL OR ${x}.locked_at < p.cutoff_ms AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < p.now_ms)))`;
const due = (x: string) => `(${x}.status = 'processing' OR ${x}.next_retry_at IS NULL OR ${x}.next_retry_at <= p.now_ms)`;
const inFlight = (x: string) =>
  `(${x}.status = 'processing' AND ${x}.locked_at IS NOT NULL
    AND NOT (${x}.locked_at < p.cutoff_ms AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < p.now_ms)))`;
/** No other message of q's session is in flight, and none older is claimable and due. */
const HEAD = `NOT EXISTS (SELECT 1 FROM inbound_queue o WHERE o.session_id = q.session_id AND o.id <> q.id
     AND (${inFlight('o')} OR o.id < q.id AND ${claimable('o')} AND ${due('o')}))`;

/** Candidates: heads of their session, claimable and due, oldest first (a plain read; locks come after). */
const candidatesSql = (bySession: boolean) => `SELECT q.id FROM inbound_queue q, (SELECT CAST(? AS SIGNED) AS now_ms, CAST(? AS SIGNED) AS cutoff_ms) p
  WHERE ${claimable('q')} AND ${due('q')} ${bySession ? 'AND q.session_id = ?' : ''} AND ${HEAD}
  ORDER BY q.id LIMIT ${CANDIDATES}`;
const CANDIDATES = 16;
const CANDIDATES_ALL = candidatesSql(false);
const CANDIDATES_OF_SESSION = candidatesSql(true);

interface Sibling {
  id: number;
  status: string;
  locked_at: number | null;
  lock_expires_at: number | null;
  next_retry_at: number | null;
  dead_at: number | null;
}

/** The same rules in JavaScript, over rows read under lock. */
function rules(nowMs: number, cutoffMs: number) {
  const live = (s: Sibling) => s.locked_at !== null && !(s.locked_at < cutoffMs && (s.lock_expires_at === null || s.lock_expires_at < nowMs));
  const isClaimable = (s: Sibling) => ['pending', 'failed', 'processing'].includes(s.status) && s.dead_at === null && !live(s);
  const isDue = (s: Sibling) => s.status === 'processing' || s.next_retry_at === null || s.next_retry_at <= nowMs;
  const isInFlight = (s: Sibling) => s.status === 'processing' && live(s);
  const isHead = (t: Sibling, siblings: Sibling[]) =>
    !siblings.some((o) => o.id !== t.id && (isInFlight(o) || (o.id < t.id && isClaimable(o) && isDue(o))));
  return { isClaimable, isDue, isHead };
}

/**
 * The open messages of `sessionId`, locked in id order and read at their latest committed
 * version (READ COMMITTED locking reads): two claims of one session serialise here, and
 * the second sees the first's claim. The rows are found by a plain read and locked through
 * the primary key only: a locking read through the (session_id, status) index would hold
 * index entries that a concurrent status change of a locked row must rewrite, a deadlock.
 * A message that opens after the plain read can only be a new one, younger than all of
 * them, which decides nothing about which of them may be claimed.
 */
async function lockSiblings(tx: MariadbExecutor, sessionId: string): Promise<Sibling[]> {
  const { rows: open } = await tx.query<{ id: number }>(
    "SELECT id FROM inbound_queue WHERE session_id = ? AND status IN ('pending', 'failed', 'processing')",
    [sessionId],
  );
  if (open.length === 0) return [];
  const { rows } = await tx.query<Sibling>(
    `SELECT id, status, locked_at, lock_expires_at, next_retry_at, dead_at FROM inbound_queue FORCE INDEX (PRIMARY)
     WHERE id IN (?) ORDER BY id FOR UPDATE`,
    [open.map((r) => Number(r.id))],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    status: r.status,
    locked_at: r.locked_at === null ? null : Number(r.locked_at),
    lock_expires_at: r.lock_expires_at === null ? null : Number(r.lock_expires_at),
    next_retry_at: r.next_retry_at === null ? null : Number(r.next_retry_at),
    dead_at: r.dead_at === null ? null : Number(r.dead_at),
  }));
}

async function take(tx: MariadbExecutor, id: number, nowMs: number): Promise<Claimed<InboundMessage>> {
  const token = randomUUID();
  await tx.query("UPDATE inbound_queue SET status = 'processing', locked_at = ?, lock_expires_at = NULL, claim_token = ? WHERE id = ?", [nowMs, token, id]);
  const { rows } = await tx.query(`SELECT ${codec.columnList} FROM inbound_queue WHERE id = ?`, [id]);
  return withFields(codec.fromRow(rows[0]!), { claimToken: token });
}

/** `InboundQueueRepository.claim` on MariaDB. */
export async function claimInboundById(db: MariadbExecutor, now: Date, ttlMs: number, id: number): Promise<Claimed<InboundMessage> | null> {
  const nowMs = now.getTime();
  const { isClaimable, isHead } = rules(nowMs, lockCutoff(now, ttlMs).getTime());
  return db.atomic(async (tx) => {
    const { rows } = await tx.query<{ session_id: string }>('SELECT session_id FROM inbound_queue WHERE id = ?', [id]);
    if (!rows[0]) throw new NotFoundError('inbound message', id);
    const siblings = await lockSiblings(tx, rows[0].session_id);
    const target = siblings.find((s) => s.id === id);
    if (!target || !isClaimable(target) || !isHead(target, siblings)) return null;
    return take(tx, id, nowMs);
  });
}

/** `InboundQueueRepository.claimNext` on MariaDB. */
export async function claimNextInbound(
  db: MariadbExecutor,
  now: Date,
  ttlMs: number,
  sessionId: string | undefined,
): Promise<Claimed<InboundMessage> | null> {
  const nowMs = now.getTime();
  const cutoffMs = lockCutoff(now, ttlMs).getTime();
  const { isClaimable, isDue, isHead } = rules(nowMs, cutoffMs);
  const params = [nowMs, cutoffMs, ...(sessionId === undefined ? [] : [sessionId])];
  // A candidate whose session another worker claimed meanwhile yields nothing; the next
  // attempt's read sees that claim and picks another session's head.
  for (let attempt = 0; attempt < 8; attempt++) {
    const outcome = await db.atomic(async (tx): Promise<Claimed<InboundMessage> | 'none' | 'retry'> => {
      const { rows: candidates } = await tx.query<{ id: number }>(sessionId === undefined ? CANDIDATES_ALL : CANDIDATES_OF_SESSION, params);
      if (candidates.length === 0) return 'none';
      // The first candidate no other claimer holds: SKIP LOCKED passes over those being claimed.
      const { rows: locked } = await tx.query<{ id: number; session_id: string }>(
        'SELECT id, session_id FROM inbound_queue WHERE id IN (?) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
        [candidates.map((c) => Number(c.id))],
      );
      if (!locked[0]) return 'retry';
      const siblings = await lockSiblings(tx, locked[0].session_id);
      const chosen = siblings.find((t) => isClaimable(t) && isDue(t) && isHead(t, siblings));
      if (!chosen) return 'retry';
      return take(tx, chosen.id, nowMs);
    });
    if (outcome === 'none') return null;
    if (outcome !== 'retry') return outcome;
  }
  return null;
}
