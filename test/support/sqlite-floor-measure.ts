/**
 * How close the SQLite repositories run to better-sqlite3 itself (issue 17): `get`, a
 * 20-row `list`, `create`, `update` and an empty `store.transaction`, each against the
 * same statement on the raw driver in object mode (its default) and in array mode
 * (`.raw(true)`, the floor), interleaved in rounds; prints the median µs per operation
 * and the ratios. Run: `npx tsx test/support/sqlite-floor-measure.ts [rounds]` (OPS=get,list
 * to run some operations only).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';

type Op = (i: number) => unknown;

const PER_ROUND = 4000;
const rounds = Number(process.argv[2] ?? 7);

async function time(fn: Op, offset: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) await fn(offset + i);
  return Number(process.hrtime.bigint() - start) / 1e3 / PER_ROUND;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), 'tc-floor-'));
const store = new SqliteStore({ path: join(dir, 'floor.db') });
await store.migrator.up();
const ids: string[] = [];
for (let i = 0; i < 1000; i++) ids.push((await store.repositories.sessions.create({ computerName: 'seed', title: `s${i}` })).id);
for (let i = 0; i < 200; i++) await store.repositories.sessions.create({ computerName: `list-${i % 10}` });

const db = store.database.db;
const columns = (db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all('sessions') as { name: string }[]).map((c) => c.name);
const all = columns.join(', ');
const sql = {
  insert: `INSERT INTO sessions (${all}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING ${all}`,
  get: `SELECT ${all} FROM sessions WHERE id = ?`,
  update: `UPDATE sessions SET title = ?, last_activity = ? WHERE id = ? RETURNING ${all}`,
  list: `SELECT ${all} FROM sessions WHERE computer_name = ? AND lifecycle_status IN (?) AND closed_at IS NULL ORDER BY last_activity DESC, id`,
};
const defaults: Record<string, unknown> = {
  last_input_origin: 'telegram', lifecycle_status: 'active', adapter_metadata: '{}', session_metadata: '{}', terminal_size: '80x24',
  initiated_by_ai: 0, notification_sent: 0, tui_capture_started: 0, char_offset: 0, transcript_files: '[]', visibility: 'private',
  turn_triggered_by_linked_output: 0,
};

function rawOps(arrays: boolean): Record<string, Op> {
  const s = Object.fromEntries(Object.entries(sql).map(([k, v]) => [k, db.prepare(v).raw(arrays)]));
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  return {
    get: (i) => s.get!.get(ids[i % ids.length]),
    list: (i) => s.list!.all(`list-${i % 10}`, 'active'),
    create: (i) => {
      const now = Date.now();
      const row: Record<string, unknown> = { ...defaults, id: randomUUID(), computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: now, last_activity: now };
      return s.insert!.get(columns.map((c) => row[c] ?? null));
    },
    update: (i) => s.update!.get(`renamed ${i}`, Date.now(), ids[i % ids.length]),
    transaction: () => {
      begin.run();
      commit.run();
    },
  };
}

const r = store.repositories.sessions;
const impls: Record<string, Record<string, Op>> = {
  repository: {
    get: (i) => r.get(ids[i % ids.length]!),
    list: (i) => r.list({ computerName: `list-${i % 10}` }),
    create: (i) => r.create({ computerName: `bench-${i % 50}`, title: `session ${i}` }),
    update: (i) => r.update(ids[i % ids.length]!, { title: `renamed ${i}` }),
    transaction: () => store.transaction(async () => {}),
  },
  object: rawOps(false),
  array: rawOps(true),
};

const results: Record<string, Record<string, number[]>> = {};
let offset = 0;
for (let round = -1; round < rounds; round++) {
  for (const op of (process.env.OPS ?? 'get,list,create,update,transaction').split(',')) {
    // Each side takes each position in turn, and starts on a checkpointed WAL: a write
    // through `.get()` (RETURNING) leaves the autocheckpoint to the next statement that
    // runs to completion, which would charge it to whichever side runs next.
    const names = Object.keys(impls);
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(round, 0)) % names.length]!;
      const impl = impls[name]!;
      db.pragma('wal_checkpoint(PASSIVE)');
      const us = await time(impl[op]!, offset);
      if (round >= 0) ((results[op] ??= {})[name] ??= []).push(us);
    }
    offset += PER_ROUND;
  }
}

console.log(`µs per operation, median of ${rounds} rounds x ${PER_ROUND} (interleaved)`);
console.log('op           repository  raw object  raw array  repo/object(speed)  repo/array(speed)');
for (const [op, byImpl] of Object.entries(results)) {
  const [repo, object, array] = [median(byImpl.repository!), median(byImpl.object!), median(byImpl.array!)];
  console.log(
    `${op.padEnd(12)} ${repo.toFixed(2).padStart(10)}  ${object.toFixed(2).padStart(10)}  ${array.toFixed(2).padStart(9)}  ${(object / repo).toFixed(2).padStart(18)}  ${(array / repo).toFixed(2).padStart(17)}`,
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
