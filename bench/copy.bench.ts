import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { seedEveryTable } from '../test/support/copy-fixtures.js';
import { buildLegacyFixture, legacyRowsFor } from '../test/support/legacy-fixture.js';
import { benchPgDatabase, benchSqlitePath } from './databases.js';
import { printTable, target } from './report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  rows: number;
  seconds: number;
  peakMb: number | null;
}

/** Runs a command to completion; returns wall time and, for the copy, the child's own peak RSS. */
function timed(command: string, args: string[], limitSeconds?: number): Promise<{ seconds: number; stderr: string; code: number | null; timedOut: boolean }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let timedOut = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = limitSeconds === undefined ? null : setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), limitSeconds * 1000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, stderr, code, timedOut });
    });
  });
}

/** pgloader may stall on the older daemon's file (its COPY connections left waiting): it is stopped after this long. */
const PGLOADER_LEGACY_LIMIT_S = 300;

/** A seeded SQLite file of this package with about `total` rows spread over every table. */
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

async function ours(cli: string, source: string, rows: number): Promise<Run> {
  const db = await benchPgDatabase();
  try {
    const run = await timed(process.execPath, [
      '--import',
      join(root, 'bench', 'report-max-rss.mjs'),
      cli,
      'copy',
      '--from',
      source,
      '--to',
      db.url,
    ]);
    if (run.code !== 0) throw new Error(`copy failed: ${run.stderr}`);
    const kb = /maxRSS_KB=(\d+)/.exec(run.stderr);
    return { rows, seconds: run.seconds, peakMb: kb ? Number(kb[1]) / 1024 : null };
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
 * pgloader with its defaults; when its Lisp heap runs out (it does near 1M rows of wide
 * tables with the default prefetch of 100,000 rows), once more with a smaller prefetch.
 */
async function pgloader(source: string, rows: number, exact = true): Promise<(Run & { note: string }) | null> {
  if (spawnSync('pgloader', ['--version']).error) return null;
  for (const [options, note] of [
    ['', 'defaults'],
    [', prefetch rows = 10000', 'prefetch rows = 10000 (heap exhausted with defaults)'],
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
      const run = await timed('pgloader', [commands], exact ? undefined : PGLOADER_LEGACY_LIMIT_S);
      const loaded = await countRows(db.url);
      if (run.timedOut) return { rows: loaded, seconds: run.seconds, peakMb: null, note: `${note}; stalled, stopped after ${PGLOADER_LEGACY_LIMIT_S} s with ${loaded} of ${rows} rows loaded` };
      if (run.code === 0 && loaded === rows) return { rows, seconds: run.seconds, peakMb: null, note };
      // On the older daemon's file pgloader leaves out what its guessed types refuse (e.g. '' in an INTEGER column).
      if (!exact && loaded > 0) return { rows: loaded, seconds: run.seconds, peakMb: null, note: `${note}; loaded ${loaded} of ${rows} rows` };
      console.log(`pgloader (${note}) loaded ${loaded} of ${rows} rows${/Heap exhausted|GC invariant/.test(run.stderr) ? ': Lisp heap exhausted' : ''}`);
    } finally {
      await db.drop();
    }
  }
  throw new Error('pgloader failed with every setting');
}

/**
 * `teleclaude-db copy` (compiled, as installed) of a seeded SQLite file into PostgreSQL (a child process, timed
 * from spawn to exit, its peak RSS read from the child itself), at two sizes to show
 * that memory does not grow with the database, and pgloader on the same file.
 */
export default async function copyBench(): Promise<void> {
  const sizes = [250_000, 1_000_000];
  const cli = compiledCli();
  const results: { size: number; ours: Run; pgloader: (Run & { note: string }) | null }[] = [];
  for (const size of sizes) {
    const source = await seeded(size);
    try {
      results.push({ size: source.rows, ours: await ours(cli, source.path, source.rows), pgloader: await pgloader(source.path, source.rows) });
    } finally {
      source.remove();
    }
  }
  const rate = (r: Run) => r.rows / r.seconds;
  printTable(
    'copy SQLite -> PostgreSQL (whole run of the compiled CLI: start, migrate, copy every table in its own transaction, restore keys, reset identities)',
    ['tool', 'rows', 'seconds', 'rows/s', 'peak RSS MB'],
    results.flatMap(({ ours: o, pgloader: p }) => [
      ['teleclaude-db copy', o.rows, o.seconds, rate(o), o.peakMb ?? 'n/a'],
      p ? [`pgloader (${p.note})`, p.rows, p.seconds, rate(p), 'n/a'] : ['pgloader', 'not installed', '-', '-', '-'],
    ]),
  );
  const large = results.at(-1)!;
  const small = results[0]!;
  const rows: (string | number)[][] = [];
  if (large.pgloader) {
    const ratio = rate(large.ours) / rate(large.pgloader);
    rows.push(['rows/s vs pgloader (1M rows)', `${ratio.toFixed(2)}x`, '>= 1.5x', target(ratio >= 1.5)]);
  } else {
    console.log('\npgloader is not installed (apt-get install pgloader): the comparison row is skipped');
  }
  const peak = Math.max(small.ours.peakMb ?? Infinity, large.ours.peakMb ?? Infinity);
  rows.push(['peak RSS', `${peak.toFixed(0)} MB`, '< 300 MB', target(peak < 300)]);
  const growth = (large.ours.peakMb ?? Infinity) - (small.ours.peakMb ?? 0);
  rows.push([`peak growth ${small.size.toLocaleString('en-US')} -> ${large.size.toLocaleString('en-US')} rows`, `${growth.toFixed(0)} MB`, '< 25 MB', target(growth < 25)]);
  printTable('copy targets', ['measure', 'value', 'target', 'status'], rows);

  // The older daemon's file: rows read from it per second (orphans and refused rows
  // included, as they are read, checked and reported), next to pgloader on the same file.
  const old = legacy(1_000_000);
  try {
    const o = await ours(cli, old.path, old.rows);
    const p = await pgloader(old.path, old.rows, false);
    printTable(
      "copy of the older daemon's teleclaude.db -> PostgreSQL (legacy names, three timestamp forms, orphans, refused rows)",
      ['tool', 'rows', 'seconds', 'rows/s', 'peak RSS MB'],
      [
        ['teleclaude-db copy', o.rows, o.seconds, rate(o), o.peakMb ?? 'n/a'],
        p ? [`pgloader (${p.note})`, p.rows, p.seconds, rate(p), 'n/a'] : ['pgloader', 'not installed', '-', '-', '-'],
      ],
    );
  } finally {
    old.remove();
  }
}
