import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { seed } from '../src/seed/seed.js';
import { seedEveryTable } from '../test/support/copy-fixtures.js';
import { buildLegacyFixture, legacyRowsFor } from '../test/support/legacy-fixture.js';
import { benchAdminQuery, benchPgDatabase, benchSqlitePath } from './databases.js';
import { median, printTable, target } from './report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** CPU seconds: of the tool's own processes, and of the PostgreSQL backends it loaded through. */
interface Cpu {
  tool: number;
  server: number;
}

interface Run {
  rows: number;
  seconds: number;
  peakMb: number | null;
  cpu: Cpu;
}

/**
 * BENCH_COPY_ROWS: the sizes (rows, comma-separated; default 250000,1000000,4000000), e.g.
 * 20000,50000 for a quick run. The seeder's realistic data is copied at every size up to
 * 1M, the older daemon's file at the largest size up to 1M.
 */
const SIZES = (process.env.BENCH_COPY_ROWS ?? '250000,1000000,4000000').split(',').map(Number);
/**
 * BENCH_COPY_PAIRS: at the target size (the one nearest 1M rows), how many times each tool
 * copies the file, in pairs whose first tool alternates (ours then pgloader, then pgloader
 * then ours, ...); the target is judged on the median of the pairs' ratios. A single pair's
 * ratio moved by a quarter from one run to the next on the same machine (the machine's
 * speed drifts over minutes), and a median of paired ratios is what the daemon bench
 * reports too.
 */
const PAIRS = Math.max(1, Math.trunc(Number(process.env.BENCH_COPY_PAIRS ?? 3)) || 1);
/** Where pgloader's log and reject files go by default; it creates the directory at every start. */
const PGLOADER_DEFAULT_DIR = '/tmp/pgloader';
let pgloaderFound: boolean | undefined;
/** Whether pgloader is installed, asked once: each start of its Lisp image takes about 0.3 s. */
function pgloaderInstalled(): boolean {
  return (pgloaderFound ??= !spawnSync('pgloader', ['--version']).error);
}
/** pgloader's Lisp heap (SBCL --dynamic-space-size), MB: enough for 1M rows of wide tables at its default prefetch. */
const PGLOADER_HEAP_MB = 4096;

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Command lines read so far, by PID and start time: a process's is read once, which
 * halves what sampling every 50 ms costs the machine while it is timing a tool. (A
 * PostgreSQL backend retitles itself as its state changes, but the part sampling
 * matches, its database or its leader's PID, stays.)
 */
const commandLines = new Map<string, string>();

/** Every process's parent, command line and CPU ticks so far (utime + stime), from /proc. */
function processes(): Map<number, { ppid: number; command: string; ticks: number }> {
  const all = new Map<number, { ppid: number; command: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[19] is the start time (field 22 of proc(5)): a reused PID is another process.
      const key = `${entry}:${fields[19]}`;
      let command = commandLines.get(key);
      if (command === undefined) {
        command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
        commandLines.set(key, command);
      }
      all.set(Number(entry), { ppid: Number(fields[1]), command, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return all;
}

/** A process and all its descendants. */
function tree(pid: number, all: Map<number, { ppid: number }>): number[] {
  const children = new Map<number, number[]>();
  for (const [p, { ppid }] of all) children.set(ppid, [...(children.get(ppid) ?? []), p]);
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

/** Resident set size of processes, in kB (0 for those gone). */
function rssKb(pids: number[]): number {
  let total = 0;
  for (const p of pids) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone.
    }
  }
  return total;
}

/**
 * Runs a command to completion; returns wall time, the peak RSS of its process tree and
 * the CPU time of that tree and of the PostgreSQL backends serving `database`, with their
 * parallel workers (an index build's; titled by the leader's PID) (sampled
 * from /proc every 50 ms, so a shorter peak, and a process's last 50 ms of CPU, can be
 * missed; the backends only when the server runs on this machine, else 0). Under load
 * the CPU times are steadier than the wall times: they say what each tool costs.
 */
function timed(
  command: string,
  args: string[],
  database: string,
  limitSeconds?: number,
): Promise<{ seconds: number; stderr: string; code: number | null; stopped: 'limit' | 'stall' | null; treePeakMb: number; cpu: Cpu }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // Why the child was killed, if it was: its time limit ran out, or it stalled.
  let stopped: 'limit' | 'stall' | null = null;
  let peakKb = 0;
  // The last CPU ticks seen of each process (a process's ticks only grow, and stay counted once it is gone).
  const toolTicks = new Map<number, number>();
  const serverTicks = new Map<number, number>();
  const sum = (ticks: Map<number, number>) => [...ticks.values()].reduce((a, b) => a + b, 0) / TICKS_PER_SECOND;
  // A backend's title: `postgres: [cluster: ]user database host(port) state`.
  const backend = new RegExp(`^postgres: .*\\S+ ${database} \\S+\\(\\d+\\)`);
  const sample = () => {
    if (child.pid === undefined) return;
    const all = processes();
    const pids = tree(child.pid, all);
    peakKb = Math.max(peakKb, rssKb(pids));
    for (const p of pids) toolTicks.set(p, Math.max(toolTicks.get(p) ?? 0, all.get(p)?.ticks ?? 0));
    for (const [p, { command: title, ticks }] of all) {
      // A parallel worker (an index build's, say) is titled by its leader's PID, not the database.
      const leader = Number(/parallel worker for PID (\d+)/.exec(title)?.[1] ?? NaN);
      const serves = backend.test(title) || backend.test(all.get(leader)?.command ?? '');
      if (serves) serverTicks.set(p, Math.max(serverTicks.get(p) ?? 0, ticks));
    }
  };
  // A stall: neither the tool's processes nor their backends used any CPU for STALL_SECONDS.
  let lastTicks = -1;
  let lastBusy = performance.now();
  const sampleAndWatch = () => {
    sample();
    if (limitSeconds === undefined || stopped) return;
    const ticks = sum(toolTicks) + sum(serverTicks);
    if (ticks !== lastTicks) {
      lastTicks = ticks;
      lastBusy = performance.now();
    } else if (performance.now() - lastBusy >= STALL_SECONDS * 1000) {
      stopped = 'stall';
      child.kill('SIGKILL');
    }
  };
  const sampler = setInterval(sampleAndWatch, 50);
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = limitSeconds === undefined ? null : setTimeout(() => ((stopped ??= 'limit'), child.kill('SIGKILL')), limitSeconds * 1000);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.on('exit', (code) => {
      clearInterval(sampler);
      if (timer) clearTimeout(timer);
      resolve({
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        stderr,
        code,
        stopped,
        treePeakMb: peakKb / 1024,
        cpu: { tool: sum(toolTicks), server: sum(serverTicks) },
      });
    });
  });
}

/**
 * pgloader may stall on the older daemon's file: a reader thread fails on a sessions row
 * (a Lisp type error while it formats the row) and its COPY connections are left waiting
 * for data that never comes. It is stopped once it and its backends have used no CPU for
 * STALL_SECONDS, and in any case after PGLOADER_LEGACY_LIMIT_S.
 */
const PGLOADER_LEGACY_LIMIT_S = 300;
/** No CPU used by a tool's processes nor by its backends for this long: stalled (with a time limit only). */
const STALL_SECONDS = 20;

/** The rows `teleclaude-db seed` writes per session (measured on a small seed). */
let seedRowsPerSession: number | null = null;

/** An SQLite file of this package filled by the seeder (src/seed: wide sessions, search text) with about `total` rows. */
async function realistic(total: number): Promise<{ path: string; rows: number; remove: () => void }> {
  const fill = async (sessions: number) => {
    const file = benchSqlitePath();
    const store = new SqliteStore({ path: file.path });
    await store.migrator.up();
    const report = await seed(store, { sessions, seed: 1, now: new Date(Date.UTC(2026, 2, 15)) });
    await store.close();
    return { path: file.path, rows: report.written.reduce((a, w) => a + w.rows, 0), remove: file.remove };
  };
  if (seedRowsPerSession === null) {
    const probe = await fill(1000);
    probe.remove();
    seedRowsPerSession = probe.rows / 1000;
  }
  return fill(Math.max(1, Math.round(total / seedRowsPerSession)));
}

/** A seeded SQLite file of this package with about `total` rows spread over every table, uniformly. */
async function seeded(total: number): Promise<{ path: string; rows: number; remove: () => void }> {
  const file = benchSqlitePath();
  const store = new SqliteStore({ path: file.path });
  await store.migrator.up();
  const tables = (await store.inspector.schema()).tables.length;
  const written = await seedEveryTable(store, () => Math.ceil(total / tables));
  await store.close();
  return { path: file.path, rows: Object.values(written).reduce((a, b) => a + b, 0), remove: file.remove };
}

/** The older daemon's teleclaude.db (test/support/legacy-fixture.ts) with about `total` rows. */
function legacy(total: number): { path: string; rows: number; remove: () => void } {
  const file = benchSqlitePath();
  const path = join(dirname(file.path), 'legacy-teleclaude.db');
  const fixture = buildLegacyFixture(path, { rows: legacyRowsFor(total), record: false });
  return { path, rows: Object.values(fixture.written).reduce((a, b) => a + b, 0), remove: file.remove };
}

/**
 * The command as an installed package runs it: compiled to dist/ (in a checkout,
 * bin/teleclaude-db.mjs runs the TypeScript source through tsx instead, which costs
 * start-up time and a loader thread). Built once, before the first run.
 */
function compiledCli(): string {
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
  return join(root, 'dist', 'src', 'cli', 'run.js');
}

/**
 * Before every timed run: the kernel writes out its dirty pages and PostgreSQL
 * checkpoints, so that neither tool pays for the writes the run before it (or the
 * fixture's creation) left behind; then a second of quiet. Without the right to
 * CHECKPOINT (a superuser's, or pg_checkpoint's) only the first two happen.
 */
async function settle(): Promise<void> {
  spawnSync('sync');
  try {
    await benchAdminQuery('CHECKPOINT');
  } catch (error) {
    // Not allowed (insufficient_privilege): the dirty buffers stay for the server's own checkpoints.
    if ((error as { code?: string }).code !== '42501') throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

/** The database a PostgreSQL URL names. */
const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

async function ours(cli: string, source: string, rows: number): Promise<Run> {
  const db = await benchPgDatabase();
  try {
    await settle();
    const run = await timed(process.execPath, [
      '--import',
      join(root, 'bench', 'report-max-rss.mjs'),
      cli,
      'copy',
      '--from',
      source,
      '--to',
      db.url,
      // Beside the source, in its temporary directory: the default, in the working directory, would outlive the bench.
      '--reject-file',
      join(dirname(source), 'copy-rejects.jsonl'),
    ], databaseName(db.url));
    if (run.code !== 0) throw new Error(`copy failed: ${run.stderr}`);
    const kb = /maxRSS_KB=(\d+)/.exec(run.stderr);
    return { rows, seconds: run.seconds, peakMb: kb ? Number(kb[1]) / 1024 : run.treePeakMb, cpu: run.cpu };
  } finally {
    await db.drop();
  }
}

async function countRows(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations')",
    );
    let total = 0;
    for (const { name } of rows) total += Number((await client.query(`SELECT count(*) AS n FROM "${name}"`)).rows[0].n);
    return total;
  } finally {
    await client.end();
  }
}

/**
 * pgloader with its defaults and a Lisp heap of PGLOADER_HEAP_MB (at the Debian build's
 * default heap it runs out near 1M rows of wide tables with its default prefetch of
 * 100,000 rows); should the heap still run out, once more with a smaller prefetch. Its
 * peak memory is the RSS of its process tree. Null when pgloader is not installed (the
 * bench installs nothing).
 */
async function pgloader(source: string, rows: number, exact = true): Promise<(Run & { note: string }) | null> {
  if (!pgloaderInstalled()) return null;
  for (const [options, note] of [
    ['', `defaults, heap ${PGLOADER_HEAP_MB} MB`],
    [', prefetch rows = 10000', `heap ${PGLOADER_HEAP_MB} MB, prefetch rows = 10000 (heap exhausted with defaults)`],
  ] as const) {
    const db = await benchPgDatabase();
    try {
      // Our column types need casts pgloader cannot guess (it would refuse to create the tables);
      // the FTS5 tables are left out, as `copy` leaves them (it rebuilds the search index instead).
      const commands = join(dirname(source), 'load.pgl');
      writeFileSync(
        commands,
        `LOAD DATABASE FROM sqlite://${source} INTO ${db.url}
         WITH include drop, create tables, create indexes, reset sequences${options}
         CAST type integer_ms to bigint drop typemod, type integer_bool to smallint drop typemod, type text_json to jsonb drop typemod
         EXCLUDING TABLE NAMES LIKE '%_fts%';\n`,
      );
      await settle();
      // SBCL reads --dynamic-space-size before pgloader sees its arguments. Its log and the
      // rows it rejects go beside the source, in the bench's temporary directory (by
      // default they would go to /tmp/pgloader and outlive the bench).
      const logs = join(dirname(source), 'pgloader');
      const run = await timed('pgloader', ['--dynamic-space-size', String(PGLOADER_HEAP_MB), '--root-dir', logs, commands], databaseName(db.url), exact ? undefined : PGLOADER_LEGACY_LIMIT_S);
      const loaded = await countRows(db.url);
      const { treePeakMb: peakMb, cpu } = run;
      if (run.stopped) {
        const why = run.stopped === 'stall' ? `stalled (no CPU used for ${STALL_SECONDS} s), stopped after ${run.seconds.toFixed(0)} s` : `stopped after ${PGLOADER_LEGACY_LIMIT_S} s`;
        return { rows: loaded, seconds: run.seconds, peakMb, cpu, note: `${note}; ${why} with ${loaded} of ${rows} rows loaded` };
      }
      if (run.code === 0 && loaded === rows) return { rows, seconds: run.seconds, peakMb, cpu, note };
      // pgloader leaves out what its guessed types refuse (the older daemon's file: e.g. '' in an INTEGER column).
      if (!exact && loaded > 0) return { rows: loaded, seconds: run.seconds, peakMb, cpu, note: `${note}; loaded ${loaded} of ${rows} rows` };
      console.log(`pgloader (${note}) loaded ${loaded} of ${rows} rows${/Heap exhausted|GC invariant/.test(run.stderr) ? ': Lisp heap exhausted' : ''}`);
    } finally {
      await db.drop();
    }
  }
  throw new Error('pgloader failed with every setting');
}

type Source = { path: string; rows: number; remove: () => void };
type PgloaderRun = (Run & { note: string }) | null;
/** One data set at one size: every pair of runs, in the order they ran. */
type Result = { data: string; size: number; pairs: { ours: Run; pgloader: PgloaderRun }[] };

const rate = (r: Run) => r.rows / r.seconds;

function printRuns(title: string, results: Result[]): void {
  printTable(
    title,
    ['data', 'tool', 'rows', 'seconds', 'rows/s', 'peak RSS MB', 'CPU s (tool)', 'CPU s (PostgreSQL)'],
    results.flatMap(({ data, pairs }) =>
      pairs.flatMap(({ ours: o, pgloader: p }, i) => {
        const label = pairs.length > 1 ? `${data} ${i + 1}/${pairs.length}` : data;
        return [
          [label, 'teleclaude-db copy', o.rows, o.seconds, rate(o), o.peakMb ?? 'n/a', o.cpu.tool, o.cpu.server],
          p
            ? [label, `pgloader (${p.note})`, p.rows, p.seconds, rate(p), p.peakMb ?? 'n/a', p.cpu.tool, p.cpu.server]
            : [label, 'pgloader', 'not installed', '-', '-', '-', '-', '-'],
        ];
      }),
    ),
  );
}

/**
 * `teleclaude-db copy` (compiled, as installed) of SQLite files into PostgreSQL (a child
 * process, timed from spawn to exit, its peak RSS read from the child itself), next to
 * pgloader on the same file: the uniform fixture at every size (memory must not grow with
 * the database), the seeder's realistic data, and the older daemon's file.
 */
export default async function copyBench(): Promise<void> {
  const hadPgloaderDir = existsSync(PGLOADER_DEFAULT_DIR);
  try {
    await copyBenchRuns();
  } finally {
    // Every pgloader start creates its default directory, whatever --root-dir says (even
    // `pgloader --version` does). Removed only when the bench made it and it is empty.
    if (!hadPgloaderDir) {
      try {
        rmdirSync(PGLOADER_DEFAULT_DIR);
      } catch {
        // Not there (pgloader not installed), or not empty: then it is not only the bench's.
      }
    }
  }
}

async function copyBenchRuns(): Promise<void> {
  const cli = compiledCli();
  if (!pgloaderInstalled()) console.log('\npgloader is not installed (apt-get install pgloader); this bench installs nothing: its rows are left out');
  const measure = async (data: string, make: (n: number) => Promise<Source> | Source, size: number, count = 1): Promise<Result> => {
    const source = await make(size);
    try {
      const pairs: Result['pairs'] = [];
      for (let i = 0; i < count; i++) {
        if (i % 2 === 0) {
          const o = await ours(cli, source.path, source.rows);
          pairs.push({ ours: o, pgloader: await pgloader(source.path, source.rows) });
        } else {
          const p = await pgloader(source.path, source.rows);
          pairs.push({ ours: await ours(cli, source.path, source.rows), pgloader: p });
        }
      }
      return { data, size: source.rows, pairs };
    } finally {
      source.remove();
    }
  };
  // The target size (nearest 1M rows) is copied PAIRS times by each tool; the others once.
  const targetSize = SIZES.reduce((a, b) => (Math.abs(b - 1_000_000) < Math.abs(a - 1_000_000) ? b : a));
  const uniform: Result[] = [];
  for (const size of SIZES) uniform.push(await measure('uniform', seeded, size, size === targetSize ? PAIRS : 1));
  printRuns(
    'copy SQLite -> PostgreSQL, uniform fixture (whole run of the compiled CLI: start, migrate, copy every table in its own transaction, restore keys, reset identities)',
    uniform,
  );
  // Targets (printed before the other data sets run): at the size nearest 1M rows; memory over every size of the uniform fixture.
  const nearest = uniform[SIZES.indexOf(targetSize)]!;
  const rows: (string | number)[][] = [];
  const ratios = nearest.pairs.flatMap(({ ours: o, pgloader: p }) => (p ? [rate(o) / rate(p)] : []));
  if (ratios.length > 0) {
    const ratio = median(ratios);
    const of = ratios.length > 1 ? `, median of ${ratios.length} pairs: ${ratios.map((r) => `${r.toFixed(2)}x`).join(' ')}` : '';
    rows.push([`rows/s vs pgloader (${nearest.size.toLocaleString('en-US')} rows, heap ${PGLOADER_HEAP_MB} MB${of})`, `${ratio.toFixed(2)}x`, '>= 2.0x', target(ratio >= 2)]);
  }
  // Each size's highest peak: flat means the largest size's is no higher than the smallest's.
  const peaks = uniform.map((r) => Math.max(...r.pairs.map((pair) => pair.ours.peakMb ?? Infinity)));
  const peak = Math.max(...peaks);
  rows.push(['peak RSS', `${peak.toFixed(0)} MB`, '<= 200 MB', target(peak <= 200)]);
  const first = uniform[0]!;
  const last = uniform.at(-1)!;
  const growth = peak - peaks[0]!;
  rows.push([`peak growth ${first.size.toLocaleString('en-US')} -> ${last.size.toLocaleString('en-US')} rows`, `${growth.toFixed(0)} MB`, '< 25 MB (flat)', target(growth < 25)]);
  printTable('copy targets', ['measure', 'value', 'target', 'status'], rows);

  const realisticRuns: Result[] = [];
  for (const size of SIZES.filter((n) => n <= 1_000_000)) realisticRuns.push(await measure('seeder', realistic, size));
  printRuns("copy SQLite -> PostgreSQL, the seeder's realistic data (teleclaude-db seed: wide sessions, search text)", realisticRuns);

  // The older daemon's file: rows read from it per second (orphans and refused rows
  // included, as they are read, checked and reported), next to pgloader on the same file.
  const old = legacy(Math.min(1_000_000, Math.max(...SIZES)));
  try {
    const o = await ours(cli, old.path, old.rows);
    const p = await pgloader(old.path, old.rows, false);
    printRuns("copy of the older daemon's teleclaude.db -> PostgreSQL (legacy names, three timestamp forms, orphans, refused rows)", [
      { data: 'legacy', size: old.rows, pairs: [{ ours: o, pgloader: p }] },
    ]);
  } finally {
    old.remove();
  }
}
