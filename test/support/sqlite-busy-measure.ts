/**
 * What waiting for another process's SQLite write lock costs (issue 17): four processes
 * run the daemon's message cycle (enqueue an inbound message, claim it, update its session,
 * mark it delivered, enqueue a hook event) on one file, 10 sessions per process each doing
 * `cycles` cycles concurrently, with autocommit or one transaction per cycle. Prints
 * cycles/s and the cycle latency p50/p99/max for:
 * - store: the store as built, waiting in SQLite's busy handler (busy_timeout 5000);
 * - raw: better-sqlite3 alone with busy_timeout 5000 and the same statements, one cycle at a time.
 * (An asynchronous wait on timers, busy_timeout 0 and retries of 1-4 ms, was measured with
 * it and reverted: see the history of sqlite-database.ts.)
 * Run: `npx tsx test/support/sqlite-busy-measure.ts [processes] [cycles per session]`
 * (MODES=transaction, SCHEMES=store to run some only).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';

type Scheme = 'store' | 'raw';
type Mode = 'autocommit' | 'transaction';
interface ChildSpec {
  path: string;
  scheme: Scheme;
  mode: Mode;
  sessions: string[];
  cycles: number;
}

const SESSIONS_PER_PROCESS = 10;

async function child(spec: ChildSpec): Promise<void> {
  const latencies: number[] = [];
  const start = performance.now();
  if (spec.scheme === 'raw') {
    runRaw(spec, latencies);
  } else {
    const store = new SqliteStore({ path: spec.path });
    await Promise.all(spec.sessions.map((sessionId) => sessionLoop(store, spec, sessionId, latencies)));
    await store.close();
  }
  process.stdout.write(JSON.stringify({ latencies, ms: performance.now() - start }));
}

async function sessionLoop(store: SqliteStore, spec: ChildSpec, sessionId: string, latencies: number[]): Promise<void> {
  for (let i = 0; i < spec.cycles; i++) {
    const t = performance.now();
    if (spec.mode === 'transaction') await store.transaction((tx) => cycle(tx, sessionId, i));
    else await cycle(store.repositories, sessionId, i);
    latencies.push(performance.now() - t);
  }
}

async function cycle(r: SqliteStore['repositories'], sessionId: string, i: number): Promise<void> {
  await r.inboundQueue.enqueue({ sessionId, origin: 'telegram', messageType: 'text', content: `message ${i}` });
  const claimed = await r.inboundQueue.claimNext({ sessionId });
  if (!claimed) throw new Error(`nothing to claim for ${sessionId}`);
  await r.sessions.update(sessionId, { lastMessageSent: `message ${i}` });
  await r.inboundQueue.markDelivered(claimed.id, claimed.claimToken);
  await r.hookOutbox.enqueue({ sessionId, eventType: 'message', payload: { i } });
}

function runRaw(spec: ChildSpec, latencies: number[]): void {
  const store = new SqliteStore({ path: spec.path });
  const db = store.database.db;
  db.pragma('busy_timeout = 5000');
  const enqueue = db.prepare(
    "INSERT INTO inbound_queue (session_id, origin, message_type, content, payload, status, created_at) VALUES (?, 'telegram', 'text', ?, '{}', 'pending', ?) RETURNING id",
  );
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const next = db.prepare("SELECT id FROM inbound_queue WHERE session_id = ? AND status IN ('pending', 'failed') AND dead_at IS NULL ORDER BY id LIMIT 1").pluck();
  const take = db.prepare("UPDATE inbound_queue SET status = 'processing', locked_at = ?, claim_token = lower(hex(randomblob(16))) WHERE id = ? RETURNING *");
  const update = db.prepare('UPDATE sessions SET last_message_sent = ?, last_message_sent_at = ? WHERE id = ? RETURNING *');
  const deliver = db.prepare("UPDATE inbound_queue SET status = 'delivered', processed_at = ?, locked_at = NULL WHERE id = ? AND claim_token = ?");
  const hook = db.prepare("INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at) VALUES (?, 'message', ?, ?, ?) RETURNING id");
  const one = (sessionId: string, i: number) => {
    const now = Date.now();
    enqueue.get(sessionId, `message ${i}`, now);
    const atomic = spec.mode === 'autocommit';
    if (atomic) begin.run();
    const row = take.get(now, next.get(sessionId)) as { id: number; claim_token: string };
    if (atomic) commit.run();
    update.get(`message ${i}`, now, sessionId);
    deliver.run(now, row.id, row.claim_token);
    hook.get(sessionId, JSON.stringify({ i }), now, now);
  };
  // Synchronous: the sessions of the process take turns, one cycle each.
  for (let i = 0; i < spec.cycles; i++) {
    for (const sessionId of spec.sessions) {
      const t = performance.now();
      if (spec.mode === 'transaction') {
        begin.run();
        one(sessionId, i);
        commit.run();
      } else {
        one(sessionId, i);
      }
      latencies.push(performance.now() - t);
    }
  }
  db.close();
}

function runChild(spec: ChildSpec): Promise<{ latencies: number[]; ms: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { latencies: number[]; ms: number }) : reject(new Error(`child exited ${code}`))));
  });
}

async function parent(processes: number, cycles: number): Promise<void> {
  console.log(`${processes} processes x ${SESSIONS_PER_PROCESS} sessions x ${cycles} cycles; latency of one cycle in ms`);
  console.log('mode         scheme   cycles/s     p50     p99     max');
  for (const mode of (process.env.MODES ?? 'autocommit,transaction').split(',') as Mode[]) {
    for (const scheme of (process.env.SCHEMES ?? 'raw,store').split(',') as Scheme[]) {
      const dir = mkdtempSync(join(tmpdir(), 'tc-busy-'));
      const path = join(dir, 'busy.db');
      const setup = new SqliteStore({ path });
      await setup.migrator.up();
      const sessions: string[][] = [];
      for (let p = 0; p < processes; p++) {
        sessions.push([]);
        for (let s = 0; s < SESSIONS_PER_PROCESS; s++) sessions[p]!.push((await setup.repositories.sessions.create({ id: randomUUID(), computerName: `p${p}` })).id);
      }
      await setup.close();
      const results = await Promise.all(sessions.map((own) => runChild({ path, scheme, mode, sessions: own, cycles })));
      // From the first cycle to the last, in the slowest process (start-up excluded).
      const wall = Math.max(...results.map((r) => r.ms));
      const all = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))]!;
      console.log(
        `${mode.padEnd(12)} ${scheme.padEnd(6)} ${Math.round(all.length / (wall / 1000)).toString().padStart(9)} ${at(0.5).toFixed(2).padStart(7)} ${at(0.99).toFixed(2).padStart(7)} ${all[all.length - 1]!.toFixed(1).padStart(7)}`,
      );
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const arg = process.argv[2];
if (arg?.startsWith('{')) await child(JSON.parse(arg) as ChildSpec);
else await parent(Number(arg ?? 4), Number(process.argv[3] ?? 100));
