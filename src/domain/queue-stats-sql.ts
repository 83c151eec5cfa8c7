/**
 * The shape of each queue's stats query, shared by both engines: each engine passes its own
 * placeholders and its own "milliseconds between two instants" expression. Every part is a
 * fixed SQL fragment from the adapters, never input.
 */
export interface QueueStatsQuery {
  table: string;
  /** Which rows are unfinished. */
  open: string;
  /** Held by a live claim. */
  live: string;
  /** Claimable by time (ignoring the claim). */
  due: string;
  /** Since when a due row has been due. */
  dueAt: string;
  failed: string;
  /** A full expression for the failed count instead of counting `failed` among open rows. */
  failedCount?: string;
  /** A full expression for the dead count (a subquery or 0). */
  dead: string;
}

/** The stats SELECT; `ageMs(from)` is the engine's "now - from in ms". */
export function queueStatsSql(q: QueueStatsQuery, ageMs: (from: string) => string): string {
  return `SELECT count(*) FILTER (WHERE live) AS in_flight,
      count(*) FILTER (WHERE NOT live AND due) AS ready,
      count(*) FILTER (WHERE NOT live AND NOT due) AS scheduled,
      ${q.failedCount ?? 'count(*) FILTER (WHERE failed)'} AS failed,
      ${q.dead} AS dead,
      ${ageMs('min(due_at) FILTER (WHERE NOT live AND due)')} AS oldest_ready_age_ms
    FROM (SELECT (${q.live}) AS live, (${q.due}) AS due, ${q.dueAt} AS due_at, (${q.failed}) AS failed
          FROM ${q.table} WHERE ${q.open}) AS open_rows`;
}

/** A live lock, with `now` and `cutoff` placeholders of the engine. */
export function liveLock(now: string, cutoff: string): string {
  return `locked_at IS NOT NULL AND NOT (locked_at < ${cutoff} AND (lock_expires_at IS NULL OR lock_expires_at < ${now}))`;
}

/** The stats queries of the four queues. */
export function queueStatsQueries(now: string, cutoff: string): Record<'hook' | 'inbound' | 'webhook' | 'operations', QueueStatsQuery> {
  const live = liveLock(now, cutoff);
  return {
    hook: {
      table: 'hook_outbox',
      open: 'delivered_at IS NULL AND dead_at IS NULL',
      live,
      due: `next_attempt_at <= ${now}`,
      dueAt: 'next_attempt_at',
      failed: 'attempt_count > 0',
      dead: '(SELECT count(*) FROM hook_outbox WHERE delivered_at IS NULL AND dead_at IS NOT NULL)',
    },
    inbound: {
      table: 'inbound_queue',
      open: "status IN ('pending', 'failed', 'processing') AND dead_at IS NULL",
      live: `status = 'processing' AND ${live}`,
      // A message waiting behind an in-flight message of its session is not ready.
      due: `(status = 'processing' OR next_retry_at IS NULL OR next_retry_at <= ${now})
        AND NOT EXISTS (SELECT 1 FROM inbound_queue o WHERE o.session_id = inbound_queue.session_id AND o.id <> inbound_queue.id
          AND o.status = 'processing' AND o.locked_at IS NOT NULL
          AND NOT (o.locked_at < ${cutoff} AND (o.lock_expires_at IS NULL OR o.lock_expires_at < ${now})))`,
      dueAt: 'COALESCE(next_retry_at, created_at)',
      failed: "status = 'failed' OR attempt_count > 0",
      dead: "(SELECT count(*) FROM inbound_queue WHERE status = 'failed' AND dead_at IS NOT NULL)",
    },
    webhook: {
      table: 'webhook_outbox',
      open: "status = 'pending'",
      live,
      due: `next_attempt_at <= ${now}`,
      dueAt: 'next_attempt_at',
      failed: 'attempt_count > 0',
      dead: "(SELECT count(*) FROM webhook_outbox WHERE status = 'dead_letter')",
    },
    operations: {
      table: 'operations',
      open: "state IN ('queued', 'running')",
      live: "state = 'running'",
      due: "state = 'queued'",
      dueAt: 'created_at',
      failed: 'false',
      failedCount: "(SELECT count(*) FROM operations WHERE state = 'failed')",
      dead: "(SELECT count(*) FROM operations WHERE state = 'stale')",
    },
  };
}
