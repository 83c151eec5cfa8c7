import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { engineForLocation } from '../../src/engines/registry.js';
import type { Store } from '../../src/ports/store.js';
import type { TableReader } from '../../src/ports/table-reader.js';
import { buildLegacyFixture, type Expected, type ExpectedReject, type LegacyFixture } from '../support/legacy-fixture.js';
import { admin, createMariadbTestDatabase, createPgDatabase, mariadbAdmin } from '../support/databases.js';
import { runCopy } from '../support/copy-cli.js';
import { readerFor, storeFor } from '../support/open-options.js';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const copy = (...args: string[]) => runCopy(args);

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-legacy-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

type Engine = 'postgresql' | 'sqlite' | 'mariadb';

async function target(engine: Engine, dir: string): Promise<string> {
  if (engine === 'sqlite') return join(dir, 'target.db');
  const db = engine === 'mariadb' ? await createMariadbTestDatabase('tc_legacy') : await createPgDatabase('tc_legacy');
  cleanup.push(db.drop);
  return db.url;
}

const spec = (location: string) => ({ engine: engineForLocation(location, 'location').name, location });

function openStore(location: string): Store {
  return storeFor(spec(location));
}

function open(location: string): { store: Store; reader: TableReader } {
  return { store: openStore(location), reader: readerFor(spec(location)) };
}

/** The dry run's scratch databases (PostgreSQL: schemas) still present on the target's server. */
async function dryRunScratch(engine: Engine, store: Store): Promise<number> {
  if (engine === 'mariadb') {
    return mariadbAdmin(async (db) => (await db.query("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'tc\\_copy\\_dry\\_run\\_%'")).rows.length);
  }
  const { rows } = await (store as PostgresStore).database.query<{ n: string }>(`SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'tc_copy_dry_run_%'`);
  return Number(rows[0]!.n);
}

/** The facts of the legacy names (legacy-teleclaude.md): which target column a legacy column feeds. */
function targetColumn(table: string, column: string): string | null {
  if (table === 'sessions' && column === 'session_id') return 'id';
  if (table === 'mirror_tombstones' && column === 'file_mtime') return 'file_mtime_ns';
  if (column === 'created_at_epoch') return null; // stands in for an empty created_at
  return column.endsWith('_json') ? column.slice(0, -'_json'.length) : column;
}

interface RejectLine {
  table: string;
  id: string;
  reason: string;
  column?: string;
  value?: unknown;
  row?: Record<string, unknown>;
}

const kindOf = (reason: string): ExpectedReject['kind'] => (reason.startsWith('orphan') ? 'orphan' : reason === 'malformed JSON' ? 'invalid' : 'refused');
const key = (r: { table: string; id: string; column?: string }, kind: string) => `${r.table} ${r.id} ${kind}${r.column ? ` ${r.column}` : ''}`;

/** Every row of every table of the target, by table and primary-key id, values normalised to what Expected holds. */
async function targetRows(location: string): Promise<Map<string, Map<string, Record<string, unknown>>>> {
  const { store, reader } = open(location);
  try {
    const schema = await store.inspector.schema();
    const out = new Map<string, Map<string, Record<string, unknown>>>();
    for (const table of schema.tables) {
      if (table.name.startsWith('copy_progress')) continue;
      const columns = table.columns.map((c) => c.name);
      const rows = new Map<string, Record<string, unknown>>();
      for await (const batch of reader.rows(table.name, columns, 1000)) {
        for (const raw of batch) {
          const row: Record<string, unknown> = {};
          table.columns.forEach((c, i) => {
            const v = raw[i];
            if (v === null || v === undefined) row[c.name] = null;
            else if (c.typeClass === 'timestamp') row[c.name] = v instanceof Date ? v.getTime() : Number(v);
            else if (c.typeClass === 'boolean') row[c.name] = v === true || v === 1;
            else if (c.typeClass === 'json') row[c.name] = typeof v === 'string' ? JSON.parse(v) : v;
            else if (c.typeClass === 'integer') row[c.name] = Number(v);
            else row[c.name] = v;
          });
          rows.set(table.primaryKey.map((k) => String(row[k])).join('/'), row);
        }
      }
      out.set(table.name, rows);
    }
    return out;
  } finally {
    await reader.close();
    await store.close();
  }
}

function expectedRejects(fixture: LegacyFixture, engine: Engine): string[] {
  return fixture.rejects.filter((r) => r.engines === undefined || r.engines.includes(engine)).map((r) => key(r, r.kind)).sort();
}

describe.each(['postgresql', 'sqlite', 'mariadb'] as Engine[])('importing the older daemon’s teleclaude.db into %s', (engine) => {
  it('dry run predicts the real run exactly; every row arrives with its values, every orphan and refused row is in the reject file, the source is unchanged', async () => {
    const dir = scratchDir();
    const legacy = join(dir, 'teleclaude.db');
    const fixture = buildLegacyFixture(legacy);
    expect(existsSync(`${legacy}-wal`)).toBe(false);
    const hash = sha256(legacy);
    const to = await target(engine, dir);
    const rejectFile = join(dir, 'rejects.jsonl');

    // The dry run: exit 2 (rows would be rejected), nothing written anywhere.
    const dry = await copy('--from', legacy, '--to', to, '--dry-run', '--reject-file', rejectFile);
    expect(dry.code, dry.output).toBe(2);
    expect(existsSync(rejectFile)).toBe(false);
    if (engine === 'sqlite') expect(existsSync(to)).toBe(false);
    else {
      const store = openStore(to);
      expect((await store.migrator.state()).applied).toEqual([]);
      expect(await dryRunScratch(engine, store)).toBe(0);
      await store.close();
    }
    const predicted = [...dry.output.matchAll(/^ {2}reject (\S+) ("(?:[^"\\]|\\.)*")(?: (\w+))?: (.*)$/gm)].map((m) => ({
      table: m[1]!,
      id: JSON.parse(m[2]!) as string,
      column: m[3],
      reason: m[4]!,
    }));

    const real = await copy('--from', legacy, '--to', to, '--reject-file', rejectFile, '--verify');
    expect(real.code, real.output).toBe(0);
    expect(real.output).toContain('verify: every table has the same rows and checksum on both sides');
    expect(real.output).toContain('source tables not copied (no counterpart): notification_outbox');

    const lines = readFileSync(rejectFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RejectLine);
    // The dry run named exactly the rejects of the real run, with the same reasons.
    const summary = (r: { table: string; id: string; column?: string; reason: string }) => `${r.table} ${r.id} ${r.column ?? '-'} ${r.reason}`;
    expect(predicted.map(summary).sort()).toEqual(lines.map(summary).sort());
    expect(dry.output).toContain(`${lines.length} reject(s) the copy would make`);
    // ... and they are exactly the facts' rejects, each with its whole source row.
    expect(lines.map((l) => key(l, kindOf(l.reason))).sort()).toEqual(expectedRejects(fixture, engine));
    for (const line of lines) {
      // The whole row as the file holds it: every column the copy reads, by its legacy name.
      const raw = fixture.raw.get(line.table)!.get(line.id)!;
      for (const [column, value] of Object.entries(line.row!)) expect(value, `${line.table} ${line.id} ${column}`).toEqual(raw[column] ?? null);
      for (const column of Object.keys(raw)) if (column !== 'created_at_epoch' || line.table !== 'memory_manual_sessions') expect(line.row).toHaveProperty(column);
      if (line.column) expect(line.reason.length).toBeGreaterThan(3);
    }
    expect(lines.find((l) => l.id === 's-nul')).toMatchObject({ column: 'title', value: 'before\u0000after', reason: expect.stringContaining('NUL') });
    expect(lines.find((l) => l.id === 's-no-computer')).toMatchObject({ column: 'computer_name', value: '' });
    expect(lines.find((l) => l.table === 'mirror_tombstones')).toMatchObject({ column: 'file_mtime_ns', value: '1741976590.5' });

    // Every row that is not rejected arrived, with its values.
    const rows = await targetRows(to);
    const refusedHere = new Set(fixture.rejects.filter((r) => r.kind !== 'invalid' && (r.engines === undefined || r.engines.includes(engine))).map((r) => `${r.table} ${r.id}`));
    let compared = 0;
    for (const [table, expectedRows] of fixture.expected) {
      const got = rows.get(table)!;
      const arriving = [...expectedRows.keys()].filter((id) => !refusedHere.has(`${table} ${id}`));
      expect(got.size, table).toBe(arriving.length);
      for (const id of arriving) {
        const row = got.get(id);
        expect(row, `${table} ${id}`).toBeDefined();
        for (const [legacyColumn, value] of Object.entries(expectedRows.get(id)!) as [string, Expected | undefined][]) {
          const column = targetColumn(table, legacyColumn);
          if (column === null) continue;
          const where = `${table} ${id} ${column}`;
          if (value === undefined) expect(row![column], where).not.toBeNull();
          else expect(row![column], where).toEqual(value);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(3000);
    // Spot checks of the facts.
    expect(rows.get('mirror_tombstones')!.get('claude:/home/dev/.claude/projects/gone/1.jsonl')!.file_mtime_ns).toBe('1773597790124123458');
    expect([...rows.get('mirrors')!.values()].filter((m) => m.source_identity === null).length).toBeGreaterThan(2);
    expect(rows.get('agent_availability')!.get('codex')!.reason).toBe('maintenance window, ask #ops');
    expect(rows.get('sessions')!.get('s-bad-json')!.adapter_metadata).toEqual({});
    expect(rows.get('inbound_queue')!.get('2')!.payload).toEqual({});
    expect(rows.get('memory_manual_sessions')!.get('manual-3')!.created_at).toBe((Math.floor(Date.UTC(2026, 2, 15, 18, 3, 10, 123) / 1000) + 3) * 1000);

    // The domain reads what the daemon wrote.
    const store = openStore(to);
    try {
      const agents = await store.repositories.agentAvailability.list();
      expect(agents.find((a) => a.agent === 'gemini')).toMatchObject({ status: 'degraded', reason: 'degraded', until: new Date(Date.UTC(2099, 0, 1, 12)) });
      expect(agents.find((a) => a.agent === 'ollama')).toMatchObject({ status: 'degraded', reason: 'degraded:slow responses' });
      expect((await store.repositories.mirrors.list({ limit: 1000 })).filter((m) => m.sourceIdentity === null).length).toBeGreaterThan(2);
    } finally {
      await store.close();
    }
    expect(sha256(legacy)).toBe(hash);
  });

  it('an older install (later tables and columns missing) imports: missing tables empty, missing columns at their defaults', async () => {
    const dir = scratchDir();
    const legacy = join(dir, 'teleclaude.db');
    const missingTables = ['mirrors', 'mirror_tombstones', 'operations', 'session_tokens', 'conversation_links', 'conversation_link_members'];
    const fixture = buildLegacyFixture(legacy, {
      rows: 12,
      missingTables,
      missingColumns: ['sessions.principal', 'sessions.turn_triggered_by_linked_output', 'agent_availability.degraded_until', 'memory_observations.identity_key'],
    });
    const to = await target(engine, dir);
    const result = await copy('--from', legacy, '--to', to, '--reject-file', join(dir, 'rejects.jsonl'), '--verify');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/sessions: source lacks [^\n]*principal/);
    const rows = await targetRows(to);
    for (const table of missingTables) expect(rows.get(table)!.size, table).toBe(0);
    expect(rows.get('sessions')!.size).toBe(fixture.written.sessions! - 3);
    expect([...rows.get('sessions')!.values()].every((s) => s.principal === null && s.turn_triggered_by_linked_output === false)).toBe(true);
  });
});

describe('an infrastructure failure stops a legacy import, and --resume finishes it', () => {
  it('PostgreSQL connections terminated mid-copy: the copy fails (nothing is reported as a reject), --resume completes and verifies', async () => {
    const dir = scratchDir();
    const legacy = join(dir, 'teleclaude.db');
    buildLegacyFixture(legacy, { rows: 20_000, record: false });
    const straight = await target('postgresql', dir);
    const straightRejects = join(dir, 'straight.jsonl');
    expect((await copy('--from', legacy, '--to', straight, '--reject-file', straightRejects)).code).toBe(0);

    const to = await target('postgresql', dir);
    const rejects = join(dir, 'rejects.jsonl');
    const database = new URL(to).pathname.slice(1);
    const running = copy('--from', legacy, '--to', to, '--reject-file', rejects, '--batch-size', '200');
    let settled = false;
    void running.finally(() => (settled = true));
    // Once a table is committed, every other connection to the target is cut, again and
    // again until the copy gives up: a copy that finished first would prove nothing.
    const failed = await admin(async (client) => {
      const committed = async () => {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename = 'copy_progress'`);
        return Number(rows[0]!.n) > 0 && Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM copy_progress')).rows[0]!.n) >= 1;
      };
      while (!settled && !(await committed())) await new Promise((r) => setTimeout(r, 5));
      expect(settled, 'the copy ended before a connection could be cut').toBe(false);
      while (!settled) {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
        await new Promise((r) => setTimeout(r, 20));
      }
      return running;
    }, to);
    expect(failed.code, failed.output).toBe(1);
    expect(failed.output).toMatch(/terminat|unavailable|Connection/i);

    const resumed = await copy('--from', legacy, '--to', to, '--reject-file', rejects, '--resume', '--verify');
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain('verify: every table has the same rows and checksum on both sides');
    const sorted = (path: string) => readFileSync(path, 'utf8').trim().split('\n').sort();
    expect(sorted(rejects)).toEqual(sorted(straightRejects));
  });
});
