import { queueStatsQueries, queueStatsSql } from '../../domain/queue-stats-sql.js';
import { lockCutoff, toQueueStats, type QueueStats } from '../../domain/work-queue.js';
import type { SqliteExecutor } from './sqlite-database.js';

const QUERIES = queueStatsQueries(':now', ':cutoff');
const SQL = Object.fromEntries(Object.entries(QUERIES).map(([k, q]) => [k, queueStatsSql(q, (from) => `:now - ${from}`)])) as Record<
  keyof typeof QUERIES,
  string
>;

/** One queue's stats at `now`, claims older than `ttlMs` counted as stale. */
export function sqliteQueueStats(db: SqliteExecutor, queue: keyof typeof QUERIES, now: Date, ttlMs: number): Promise<QueueStats> {
  return db.run(() =>
    toQueueStats(db.prepare(SQL[queue]).get({ now: now.getTime(), cutoff: lockCutoff(now, ttlMs).getTime() }) as Record<string, unknown>),
  );
}
