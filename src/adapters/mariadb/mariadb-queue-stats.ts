import { queueStatsQueries, type QueueStatsQuery } from '../../domain/queue-stats-sql.js';
import { lockCutoff, toQueueStats, type QueueStats } from '../../domain/work-queue.js';
import type { MariadbExecutor } from './mariadb-database.js';

/**
 * The shared stats queries (domain/queue-stats-sql.ts) in MariaDB's dialect: no
 * `count(*) FILTER`, so sums of CASE. The instants are BIGINT milliseconds; inside the
 * rows' derived table they come from a one-row table `p`, so that each is one parameter
 * however often the fragments use it.
 */
const QUERIES = queueStatsQueries('p.now_ms', 'p.cutoff_ms');

/** Parameters, in textual order: now (for the age), now, the lock cutoff. */
function statsSql(q: QueueStatsQuery): string {
  const count = (condition: string) => `COALESCE(SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`;
  return `SELECT ${count('live')} AS in_flight,
      ${count('NOT live AND due')} AS ready,
      ${count('NOT live AND NOT due')} AS scheduled,
      ${q.failedCount ?? count('failed')} AS failed,
      ${q.dead} AS dead,
      CAST(? AS SIGNED) - MIN(CASE WHEN NOT live AND due THEN due_at END) AS oldest_ready_age_ms
    FROM (SELECT (${q.live}) AS live, (${q.due}) AS due, ${q.dueAt} AS due_at, (${q.failed}) AS failed
          FROM ${q.table}, (SELECT CAST(? AS SIGNED) AS now_ms, CAST(? AS SIGNED) AS cutoff_ms) p
          WHERE ${q.open}) AS open_rows`;
}

const SQL = Object.fromEntries(Object.entries(QUERIES).map(([k, q]) => [k, statsSql(q)])) as Record<keyof typeof QUERIES, string>;

/** One queue's stats at `now`, claims older than `ttlMs` counted as stale. */
export async function mariadbQueueStats(db: MariadbExecutor, queue: keyof typeof QUERIES, now: Date, ttlMs: number): Promise<QueueStats> {
  const ms = now.getTime();
  const { rows } = await db.query(SQL[queue], [ms, ms, lockCutoff(now, ttlMs).getTime()]);
  return toQueueStats(rows[0]!);
}
