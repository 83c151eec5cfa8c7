/**
 * `teleclaude-db seed --sessions 100000` on each engine, through the real CLI entry
 * (`main`), on a fresh migrated database: the time against the targets.
 */
import { main } from '../src/cli/main.js';
import { benchPgDatabase, benchSqlitePath } from './databases.js';
import { printTable, target } from './report.js';

const SESSIONS = Number(process.env.BENCH_SEED_SESSIONS ?? 100_000);

async function timeSeed(env: Record<string, string>): Promise<{ seconds: number; rows: number }> {
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), tty: false, env, cwd: '/nonexistent' };
  if ((await main(['init'], io)) !== 0) throw new Error(out.join('\n'));
  const start = process.hrtime.bigint();
  if ((await main(['seed', '--sessions', String(SESSIONS), '--seed', '1'], io)) !== 0) throw new Error(out.join('\n'));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rows = Number(/: (\d+) rows in/.exec(out.at(-1) ?? '')?.[1] ?? 0);
  return { seconds, rows };
}

export default async function seedBench(): Promise<void> {
  const results: (string | number)[][] = [];

  const sqlite = benchSqlitePath();
  try {
    const r = await timeSeed({ TELECLAUDE_DB_ENGINE: 'sqlite', TELECLAUDE_DB_PATH: sqlite.path });
    results.push(['sqlite', SESSIONS, r.rows, r.seconds, Math.round(r.rows / r.seconds), '< 60 s', target(r.seconds < 60)]);
  } finally {
    sqlite.remove();
  }

  const pg = await benchPgDatabase();
  try {
    const r = await timeSeed({ TELECLAUDE_DB_ENGINE: 'postgresql', DATABASE_URL: pg.url });
    results.push(['postgresql', SESSIONS, r.rows, r.seconds, Math.round(r.rows / r.seconds), '< 120 s', target(r.seconds < 120)]);
  } finally {
    await pg.drop();
  }

  printTable(`seed --sessions ${SESSIONS.toLocaleString('en-US')} (every table, one transaction per table)`, ['engine', 'sessions', 'rows', 'seconds', 'rows/s', 'target', 'result'], results);
}
