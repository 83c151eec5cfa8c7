/**
 * One worker process of bench/daemon.bench.ts, kept for every round of one variant, with
 * its database open throughout as the daemon keeps its store. It warms up on its spec's
 * `target` and prints `ready`; for every stdin line `go` (the bench has emptied the
 * queues in between) it runs a short untimed settling run (BENCH_DAEMON_SETTLE cycles,
 * default 200: the pages cached again), then its sessions timed, and prints `done <JSON>`:
 * the per-session cycle times in milliseconds, the CPU time and how many claims found
 * nothing to take (0 expected). The line `exit` (or the end of stdin) closes the database
 * and ends it.
 *
 * The message cycle, per session, one message at a time: enqueue an inbound message, claim
 * it by id, update the session (lastMessageSent), mark the message delivered, enqueue a
 * hook-outbox event. `repository` runs it through this package's repositories (with `tx`,
 * inside one `store.transaction`); `raw` runs the same statements on the driver alone
 * (better-sqlite3 prepared once; pg on a pool of the store's size), without validation,
 * mapping or error translation. The raw SQLite connection checkpoints the WAL as SQLite does
 * by default (in the commit that takes it past 1000 pages); the store checkpoints it from a
 * worker thread (backgroundCheckpointMs), which is part of what the bench measures.
 * BENCH_DAEMON_RAW_CHECKPOINT=thread gives the raw connection the same thread, so the two
 * sides differ by the repositories alone. The sessions of a process run concurrently, as the daemon's
 * do. A cycle's time is the time since the same session's previous cycle ended (or since
 * the start), so waiting for the other sessions' work counts alike on both sides. Before
 * `ready`, each process runs BENCH_DAEMON_WARMUP (default 10000 on SQLite, 3000 on
 * PostgreSQL) untimed cycles.
 */
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { SqliteCheckpointer } from '../src/adapters/sqlite/sqlite-checkpointer.js';
import { SQLITE_DEFAULTS } from '../src/adapters/sqlite/sqlite-engine.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { INBOUND_LOCK_TTL_MS } from '../src/domain/work-queue.js';
import type { Repositories } from '../src/ports/repositories.js';
import { systemClock } from '../src/ports/clock.js';

export interface DaemonWorkerSpec {
  engine: 'sqlite' | 'postgresql';
  /** File path or URL. */
  target: string;
  impl: 'repository' | 'raw';
  /** One transaction per cycle (else every statement commits on its own). */
  tx: boolean;
  sessions: string[];
  messages: number;
}

export interface DaemonWorkerResult {
  cycleMs: number[];
  /** CPU time (user + system) the process spent on the timed cycles, microseconds. */
  cpuUs: number;
  /** Claims that returned nothing although the session's only message was waiting. */
  missed: number;
}

const spec = JSON.parse(process.argv[2]!) as DaemonWorkerSpec;
const RAW_CHECKPOINT_THREAD = process.env.BENCH_DAEMON_RAW_CHECKPOINT === 'thread';
const ORIGIN = 'telegram';

/** One cycle for one session; resolves to false when the claim took nothing. */
type Cycle = (sessionId: string, n: number) => Promise<boolean>;

interface Prepared {
  cycle: Cycle;
  close: () => Promise<void>;
}

async function repositoryCycle(r: Repositories, sessionId: string, n: number): Promise<boolean> {
  const id = await r.inboundQueue.enqueue({ sessionId, origin: ORIGIN, messageType: 'text', content: `message ${n}` });
  const claimed = await r.inboundQueue.claim(id!);
  if (!claimed) return false;
  await r.sessions.update(sessionId, { lastMessageSent: claimed.content });
  await r.inboundQueue.markDelivered(claimed.id, claimed.claimToken);
  await r.hookOutbox.enqueue({ sessionId, eventType: 'message_delivered', payload: { inbound: claimed.id } });
  return true;
}

async function prepareRepository(): Promise<Prepared> {
  const store =
    spec.engine === 'sqlite' ? new SqliteStore({ path: spec.target }, systemClock) : new PostgresStore({ url: spec.target }, 'bench', systemClock);
  const cycle: Cycle = spec.tx
    ? (sessionId, n) => store.transaction((tx) => repositoryCycle(tx, sessionId, n))
    : (sessionId, n) => repositoryCycle(store.repositories, sessionId, n);
  return { cycle, close: () => store.close() };
}

// The claim rules of the adapters (src/adapters/*/...inbound...), written out for the raw side.
const claimable = (x: string, now: string, cutoff: string) =>
  `(${x}.status IN ('pending', 'failed', 'processing') AND ${x}.dead_at IS NULL
    AND (${x}.locked_at IS NULL OR ${x}.locked_at < ${cutoff} AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < ${now})))`;
const due = (x: string, now: string) => `(${x}.status = 'processing' OR ${x}.next_retry_at IS NULL OR ${x}.next_retry_at <= ${now})`;
const inFlight = (x: string, now: string, cutoff: string) =>
  `(${x}.status = 'processing' AND ${x}.locked_at IS NOT NULL
    AND NOT (${x}.locked_at < ${cutoff} AND (${x}.lock_expires_at IS NULL OR ${x}.lock_expires_at < ${now})))`;
const headOf = (t: string, from: string, now: string, cutoff: string, sameSession: boolean) =>
  `NOT EXISTS (SELECT 1 FROM ${from} o WHERE ${sameSession ? `o.session_id = ${t}.session_id AND ` : ''}o.id <> ${t}.id
     ${from === 'inbound_queue' && sameSession ? "AND o.status IN ('pending', 'failed', 'processing')" : ''}
     AND (${inFlight('o', now, cutoff)} OR o.id < ${t}.id AND ${claimable('o', now, cutoff)} AND ${due('o', now)}))`;

function columnsOf(db: Database.Database, table: string): string {
  return (db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string }[]).map((c) => c.name).join(', ');
}

async function prepareRawSqlite(): Promise<Prepared> {
  // The pragmas the store's connection has.
  const db = new Database(spec.target);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // BENCH_DAEMON_RAW_CHECKPOINT=thread: the raw connection checkpoints from the store's thread too.
  const checkpointer = RAW_CHECKPOINT_THREAD ? new SqliteCheckpointer(db, spec.target, { intervalMs: SQLITE_DEFAULTS.backgroundCheckpointMs }) : undefined;
  const inbound = columnsOf(db, 'inbound_queue');
  const sessions = columnsOf(db, 'sessions');
  const enqueue = db
    .prepare(
      `INSERT INTO inbound_queue (session_id, origin, message_type, content, payload, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (origin, source_message_id) WHERE source_message_id IS NOT NULL DO NOTHING RETURNING id`,
    )
    .pluck();
  const check = db.prepare(
    `SELECT t.id, ${claimable('t', ':now', ':cutoff')} AND ${headOf('t', 'inbound_queue', ':now', ':cutoff', true)} AS ok FROM inbound_queue t WHERE t.id = :id`,
  );
  const take = db.prepare(
    `UPDATE inbound_queue SET status = 'processing', locked_at = ?, lock_expires_at = NULL, claim_token = lower(hex(randomblob(16)))
     WHERE id = ? RETURNING ${inbound}, claim_token`,
  );
  const claim = db.transaction((id: number, now: number) => {
    const row = check.get({ id, now, cutoff: now - INBOUND_LOCK_TTL_MS }) as { ok: number } | undefined;
    return row?.ok ? (take.get(now, id) as { id: number; content: string; claim_token: string }) : null;
  });
  const update = db.prepare(`UPDATE sessions SET last_message_sent = ?, last_message_sent_at = ? WHERE id = ? RETURNING ${sessions}`);
  const deliver = db.prepare(
    "UPDATE inbound_queue SET status = 'delivered', processed_at = COALESCE(processed_at, ?), locked_at = NULL, lock_expires_at = NULL WHERE id = ? AND claim_token = ? AND status NOT IN ('expired')",
  );
  const hook = db
    .prepare('INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?) RETURNING id')
    .pluck();
  // Autocommit: every statement on its own (the claim in its IMMEDIATE transaction), with
  // the other sessions' statements in between, as the repository's awaits allow.
  const steps = {
    enqueue: (sessionId: string, n: number) => enqueue.get(sessionId, ORIGIN, 'text', `message ${n}`, '{}', 'pending', Date.now()) as number,
    claim: (id: number) => claim.immediate(id, Date.now()),
    update: (sessionId: string, content: string) => {
      if (!update.get(content, Date.now(), sessionId)) throw new Error(`session ${sessionId} is missing`);
    },
    deliver: (id: number, token: string) => {
      if (deliver.run(Date.now(), id, token).changes !== 1) throw new Error(`inbound message ${id} is not held`);
    },
    hook: (sessionId: string, id: number) => {
      const now = Date.now();
      hook.get(sessionId, 'message_delivered', JSON.stringify({ inbound: id }), now, now);
    },
  };
  const whole = db.transaction((sessionId: string, n: number) => {
    const id = steps.enqueue(sessionId, n);
    const claimed = steps.claim(id);
    if (!claimed) return false;
    steps.update(sessionId, claimed.content);
    steps.deliver(claimed.id, claimed.claim_token);
    steps.hook(sessionId, claimed.id);
    return true;
  });
  const cycle: Cycle = spec.tx
    ? async (sessionId, n) => whole.immediate(sessionId, n)
    : async (sessionId, n) => {
        const id = await steps.enqueue(sessionId, n);
        const claimed = await steps.claim(id);
        if (!claimed) return false;
        await steps.update(sessionId, claimed.content);
        await steps.deliver(claimed.id, claimed.claim_token);
        await steps.hook(sessionId, claimed.id);
        return true;
      };
  return {
    cycle,
    close: async () => {
      // The thread's connection first, as the store closes it.
      await checkpointer?.stop();
      db.close();
    },
  };
}

async function prepareRawPostgres(): Promise<Prepared> {
  // The store's pool size (10).
  const pool = new pg.Pool({ connectionString: spec.target, max: 10 });
  pool.on('error', () => {});
  const columns = async (table: string) =>
    (
      await pool.query<{ name: string }>(
        'SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
        [table],
      )
    ).rows
      .map((c) => c.name)
      .join(', ');
  const inbound = await columns('inbound_queue');
  const sessions = await columns('sessions');
  const notify = "pg_notify('teleclaude_work', '') IS NULL AS notified";
  const ENQUEUE = `INSERT INTO inbound_queue (session_id, origin, message_type, content, payload, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (origin, source_message_id) WHERE source_message_id IS NOT NULL DO NOTHING RETURNING id, ${notify}`;
  const CLAIM = `WITH candidate AS (SELECT id, session_id FROM inbound_queue WHERE id = $3),
    siblings AS (SELECT s.id, s.status, s.locked_at, s.lock_expires_at, s.next_retry_at, s.dead_at FROM inbound_queue s
      WHERE s.session_id = (SELECT session_id FROM candidate) AND s.status IN ('pending', 'failed', 'processing')
      ORDER BY s.id FOR UPDATE),
    chosen AS (SELECT t.id FROM siblings t WHERE t.id = $3 AND ${claimable('t', '$1', '$2')} AND ${headOf('t', 'siblings', '$1', '$2', false)}),
    updated AS (UPDATE inbound_queue SET status = 'processing', locked_at = $1, lock_expires_at = NULL, claim_token = gen_random_uuid()::text
      WHERE id = (SELECT id FROM chosen) RETURNING ${inbound}, claim_token)
    SELECT EXISTS (SELECT 1 FROM candidate) AS found, updated.* FROM (SELECT 1) AS one LEFT JOIN updated ON true`;
  const UPDATE = `UPDATE sessions SET last_message_sent = $1, last_message_sent_at = $2 WHERE id = $3 RETURNING ${sessions}`;
  const DELIVER = `WITH items AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS u(id, token)),
    locked AS (SELECT id, claim_token, status FROM inbound_queue WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE),
    refused AS (SELECT u.id, l.status FROM items u LEFT JOIN locked l ON l.id = u.id WHERE l.claim_token IS DISTINCT FROM u.token OR l.status = 'expired'),
    updated AS (UPDATE inbound_queue q SET status = 'delivered', processed_at = COALESCE(q.processed_at, $3), locked_at = NULL, lock_expires_at = NULL
      FROM items u WHERE q.id = u.id AND NOT EXISTS (SELECT 1 FROM refused))
    SELECT id::text, status FROM refused ORDER BY id LIMIT 1`;
  const HOOK = `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, ${notify}`;
  type Query = (sql: string, params: unknown[]) => Promise<pg.QueryResult>;
  const run = async (q: Query, sessionId: string, n: number): Promise<boolean> => {
    const now = new Date();
    const { rows } = await q(ENQUEUE, [sessionId, ORIGIN, 'text', `message ${n}`, '{}', 'pending', now]);
    const id = rows[0].id as string;
    const claimNow = new Date();
    const claimed = (await q(CLAIM, [claimNow, new Date(claimNow.getTime() - INBOUND_LOCK_TTL_MS), id])).rows[0] as { found: boolean; claim_token: string | null; id: string; content: string };
    if (!claimed.claim_token) return false;
    if ((await q(UPDATE, [claimed.content, new Date(), sessionId])).rowCount !== 1) throw new Error(`session ${sessionId} is missing`);
    if ((await q(DELIVER, [[claimed.id], [claimed.claim_token], new Date()])).rows.length > 0) throw new Error(`inbound message ${id} is not held`);
    const hookNow = new Date();
    await q(HOOK, [sessionId, 'message_delivered', JSON.stringify({ inbound: Number(claimed.id) }), hookNow, hookNow]);
    return true;
  };
  const cycle: Cycle = spec.tx
    ? async (sessionId, n) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const ok = await run((sql, params) => client.query(sql, params), sessionId, n);
          await client.query('COMMIT');
          return ok;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      }
    : (sessionId, n) => run((sql, params) => pool.query(sql, params), sessionId, n);
  return { cycle, close: () => pool.end() };
}

// Warm-up, untimed and alike on both sides: the daemon runs for days, so the bench times
// compiled code, not the first cycles V8 runs in its interpreter and its first tiers (the
// repository has more code to compile than the raw loop, which short runs would count
// against it). The process and its connection live for every round of the variant, so
// the warm-up is paid once: 10,000 cycles on SQLite; 3,000 on PostgreSQL, where a cycle
// waits on the server's WAL flush and the JavaScript's share of it is small.
const WARMUP = Number(process.env.BENCH_DAEMON_WARMUP ?? (spec.engine === 'sqlite' ? 10_000 : 3_000));
const SETTLE = Number(process.env.BENCH_DAEMON_SETTLE ?? 200);
const worker = await (spec.impl === 'repository' ? prepareRepository() : spec.engine === 'sqlite' ? prepareRawSqlite() : prepareRawPostgres());
for (let n = 0; n < WARMUP; n++) await worker.cycle(spec.sessions[n % spec.sessions.length]!, -1 - n);

async function round(): Promise<DaemonWorkerResult> {
  for (let n = 0; n < SETTLE; n++) await worker.cycle(spec.sessions[n % spec.sessions.length]!, -1 - n);
  const result: DaemonWorkerResult = { cycleMs: [], cpuUs: 0, missed: 0 };
  const cpu = process.cpuUsage();
  const session = async (sessionId: string) => {
    let last = performance.now();
    for (let n = 0; n < spec.messages; n++) {
      if (!(await worker.cycle(sessionId, n))) result.missed++;
      const now = performance.now();
      result.cycleMs.push(now - last);
      last = now;
    }
  };
  await Promise.all(spec.sessions.map(session));
  const used = process.cpuUsage(cpu);
  result.cpuUs = used.user + used.system;
  return result;
}

process.stdout.write('ready\n');
// One command at a time: `go` runs a round, `exit` (or the end of stdin) ends the process.
try {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'exit') break;
    if (line !== 'go') throw new Error(`daemon bench worker: unknown command ${line}`);
    process.stdout.write(`done ${JSON.stringify(await round())}\n`);
  }
  await worker.close();
  process.exit(0);
} catch (error) {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  await worker.close().catch(() => {});
  process.exit(1);
}
