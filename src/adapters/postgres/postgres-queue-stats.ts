import { queueStatsQueries, queueStatsSql } from '../../domain/queue-stats-sql.js';
import { lockCutoff, toQueueStats, type QueueStats } from '../../domain/work-queue.js';
import type { PostgresExecutor } from './postgres-database.js';

const QUERIES = queueStatsQueries('$1::timestamptz', '$2::timestamptz');
const SQL = Object.fromEntries(
  Object.entries(QUERIES).map(([k, q]) => [k, queueStatsSql(q, (from) => `extract(epoch FROM ($1::timestamptz - ${from})) * 1000`)]),
) as Record<keyof typeof QUERIES, string>;

/** One queue's stats at `now`, claims older than `ttlMs` counted as stale. */
export async function postgresQueueStats(db: PostgresExecutor, queue: keyof typeof QUERIES, now: Date, ttlMs: number): Promise<QueueStats> {
  // The operations query has no lock cutoff, and PostgreSQL refuses a parameter it cannot type.
  const { rows } = await db.query(SQL[queue], queue === 'operations' ? [now] : [now, lockCutoff(now, ttlMs)]);
  return toQueueStats(rows[0]!);
}
