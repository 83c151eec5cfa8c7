import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveConfig } from '../../config/resolve-config.js';
import type { DatabaseConfig, DatabaseConfigInput } from '../../config/config-schema.js';
import { engineForLocation, knownSchemes, type AnyEngine } from '../../engines/registry.js';
import { createInstanceLock, createScratchDatabase, createStore, createTableReader, describeLocation } from '../../container.js';
import { CopyUnfinishedError, InstanceLockedError } from '../../domain/errors.js';
import { describeHolder } from '../../ports/instance-lock.js';
import { isCopyBookkeeping } from '../../ports/bulk-loader.js';
import type { Store } from '../../ports/store.js';
import type { TableReader } from '../../ports/table-reader.js';
import { copyDatabase, type CopyOptions, type CopyReport } from '../../transfer/copier.js';
import { canonicalPath, checkRejectPath } from '../../transfer/reject-file.js';
import { progress, type Command, type Io } from '../command.js';
import { checkConfigPath, openAsDaemon, rollbackSteps, writeConfig } from './copy-config.js';
import { findInstallation, LEGACY_PID_FILE, refuseWhileLegacyDaemonRuns } from './copy-installation.js';
import { printReport } from './copy-report.js';

/**
 * A database named on the command line: a URL names its engine by its scheme
 * (postgresql://, ...; an unknown scheme is refused, never read as a path), anything else
 * is a file of the engine that takes paths, relative to the working directory. Only the
 * engine's password variable (PGPASSWORD, ...) is taken from the environment.
 */
function endpoint(location: string, io: Io, field: '--from' | '--to'): { engine: AnyEngine; config: DatabaseConfig; file: string | null } {
  const engine = engineForLocation(location, field);
  const overrides = { engine: engine.name, [engine.name]: { ...engine.locationConfig(location, io.cwd), ...engine.bulkSettings } } as DatabaseConfigInput;
  const env = Object.fromEntries(engine.env.filter((v) => v.secret && io.env[v.variable] !== undefined).map((v) => [v.variable, io.env[v.variable]]));
  const { database } = resolveConfig({ overrides, env, cwd: io.cwd });
  return { engine, config: database, file: engine.localFile((database as unknown as Record<string, unknown>)[engine.name]) };
}

function positiveInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

async function dataRows(store: Store): Promise<number> {
  const counts = await store.inspector.rowCounts();
  return Object.entries(counts).reduce((sum, [table, n]) => (isCopyBookkeeping(table) ? sum : sum + n), 0);
}

export const copyCommand: Command = {
  name: 'copy',
  summary: 'copy every row from an SQLite file (ours or the older daemon\'s) or PostgreSQL into a database of this package',
  options: {
    from: { type: 'string', value: 'SOURCE', description: 'database to copy from (never written to); default: found as above' },
    to: { type: 'string', value: 'TARGET', description: 'database to copy into; refused when it holds data, unless --resume' },
    resume: {
      type: 'boolean',
      description: `continue an interrupted copy: finished tables are skipped, the rest redone
(only from the same source, unchanged since the interruption). Refused,
changing nothing, when the target holds rows the interrupted copy did not
write; with --verify and no interrupted copy it only compares`,
    },
    'dry-run': {
      type: 'boolean',
      description: `copy into a scratch database of the target's engine that is thrown away
(SQLite: a temporary file; PostgreSQL: a temporary schema in the target
database), and report rows, conversions and every reject the real copy
would meet; exit 2 when it would reject anything`,
    },
    verify: {
      type: 'boolean',
      description: `afterwards compare row counts and checksums of every table (exit 1 on a
difference); on a target that already holds the copy, only verify`,
    },
    'batch-size': { type: 'string', value: 'N', description: 'rows per batch at most (default 1000; fewer for wide rows)' },
    'owner-person': { type: 'string', value: 'NAME', description: 'with --owner-uid: owner of every copied session that has none' },
    'owner-uid': { type: 'string', value: 'UID', description: 'with --owner-person: that owner\'s uid' },
    'reject-file': {
      type: 'string',
      value: 'PATH',
      description: `where orphans, rows the target refuses and unreadable values go, one JSON
object per line with the whole source row (default ./teleclaude-copy-rejects.jsonl);
created (mode 0600) at the first reject only. Refused: an existing file (except,
with --resume, the interrupted copy's own), a symbolic link, the source or target`,
    },
    json: { type: 'boolean', description: 'print the report as one JSON object on stdout (the text lines go to stderr)' },
    'write-config': {
      type: 'string',
      value: 'PATH',
      description: `after the copy, write a teleclaude.yml that points at the target (a new file,
mode 0600; never overwritten). A password is left out: set PGPASSWORD instead`,
    },
  },
  help: `SOURCE and TARGET are an SQLite file path or a database URL (${knownSchemes()}).
A URL of any other scheme is refused, never taken for a file name. The source is only read
(SQLite is opened read-only) and may be a database of this package or the older Python
daemon's teleclaude.db (recognised by its schema_migrations). The target is migrated
first, then filled table by table, each table in one transaction. Nothing outside the
target is written but the reject file and the --write-config file (an SQLite source in
WAL mode keeps its bytes; it gets the empty -wal and the -shm that any reader leaves).

Without --from, the installation is looked for in this order: the SQLite path the config
names explicitly (TELECLAUDE_DB_PATH or database.sqlite.path), ./teleclaude.db, then
~/.teleclaude/teleclaude.db; the command says which file it chose and why, and refuses
when it finds none or more than one. It refuses while a daemon uses the source: this
package's instance lock, or the older daemon's flock on teleclaude.pid beside the file.

After a copy the target is opened as the daemon opens it (openStore) and its sessions are
counted; the report ends with how to go back to the source.`,
  examples: [
    'teleclaude-db copy --to postgresql://tc@db/teleclaude --verify --write-config ~/.teleclaude/teleclaude.yml',
    'teleclaude-db copy --from ~/.teleclaude/teleclaude.db --to postgresql://tc@db/teleclaude --verify',
    'teleclaude-db copy --from old.db --to new.db --dry-run',
    'teleclaude-db copy --from old.db --to postgresql://tc@db/teleclaude --resume --verify',
  ],
  async run(values, _positionals, output) {
    // With --json the report is one JSON object on stdout; every text line goes to stderr.
    const json: CopyJson | null = values.json === true ? {} : null;
    const io: Io = json ? { ...output, out: output.err } : output;
    const done = (code: number) => {
      if (json) output.out(JSON.stringify({ ...json.value, exitCode: code }, null, 2));
      return code;
    };
    const to = values.to as string | undefined;
    if (!to) throw new Error('give --to TARGET (and --from SOURCE, unless the installation is to be found)');
    const person = values['owner-person'] as string | undefined;
    const uid = positiveInt(values['owner-uid'], '--owner-uid');
    if ((person === undefined) !== (uid === undefined)) throw new Error('give --owner-person and --owner-uid together');
    const target = endpoint(to, io, '--to');
    const from = values.from as string | undefined;
    let source: ReturnType<typeof endpoint>;
    if (from) source = endpoint(from, io, '--from');
    else {
      const found = findInstallation(values, io, target.file);
      io.out(`source: ${found.file} (${found.reason}; the only installation found)`);
      source = endpoint(found.file, io, '--from');
    }
    if (source.file && !existsSync(source.file)) throw new Error(`source ${source.file} does not exist`);
    if (source.file === target.file && (source.file !== null || from === to)) throw new Error('source and target are the same database');
    const dryRun = values['dry-run'] === true;
    const configPath = values['write-config'] === undefined ? null : checkConfigPath(values['write-config'] as string, io);
    if (configPath && dryRun) throw new Error('--write-config writes a file: it cannot go with --dry-run');
    const resume = values.resume === true;
    const rejectPath = resolve(io.cwd, (values['reject-file'] as string | undefined) ?? 'teleclaude-copy-rejects.jsonl');
    const guarded = databaseFiles(source.file, target.file);
    // What can be told without the target is checked before anything is opened; whether an
    // existing file is the interrupted copy's own, and whether anything is written at all,
    // once the target is open and before it is migrated.
    const maybeOwn = resume || values.verify === true ? canonicalOrSelf(rejectPath) : null;
    checkRejectPath(rejectPath, { protectedPaths: guarded, own: maybeOwn });
    const closers: (() => Promise<void> | void)[] = [];
    const shown = copyProgress(io);
    let report: CopyReport;
    let reader: TableReader;
    try {
      // A running daemon would keep writing the source while it is read.
      const holder = await createInstanceLock(source.config).holder();
      if (holder) {
        throw new InstanceLockedError(`a daemon is using the source (${describeHolder(holder)}); stop it before copying`, holder);
      }
      if (source.file) refuseWhileLegacyDaemonRuns(source.file);
      reader = createTableReader(source.config, { snapshot: true });
      closers.push(() => reader.close());
      let verifyOnly = false;
      let checkedRejectPath = rejectPath;
      const opened = await openTarget(target, dryRun, closers, async (store) => {
        if (!dryRun) verifyOnly = await refuseUnlessResumable(store, { resume, verify: values.verify === true }, io);
        if (verifyOnly) return;
        const own = resume ? await store.bulk.recordedRejectFile() : null;
        checkedRejectPath = checkRejectPath(rejectPath, { protectedPaths: guarded, own });
        if (own !== null && own !== checkedRejectPath) io.out(`the rejects of the tables the interrupted copy finished are in ${own}`);
        if (!dryRun) {
          // No daemon may start on the target while it is half filled. Taken only once the
          // target is known to be ours to write: taking a PostgreSQL lease writes its row.
          const lock = createInstanceLock(target.config);
          await lock.acquire();
          closers.push(() => lock.release());
        }
      });
      if (!verifyOnly && !dryRun) await opened.store.bulk.recordRejectFile(checkedRejectPath);
      const options: CopyOptions = {
        source: reader,
        target: opened.store,
        targetReader: opened.reader,
        resume,
        dryRun,
        verify: values.verify === true,
        verifyOnly,
        batchSize: positiveInt(values['batch-size'], '--batch-size'),
        owner: person !== undefined ? { person, uid: uid! } : undefined,
        rejectPath: checkedRejectPath,
        onProgress: shown.onProgress,
      };
      report = await copyDatabase(options).finally(shown.done);
      const where = { from: reader.location, to: target.file ?? describeLocation(target.config), dryRun };
      printReport(report, where, io);
      if (json) json.value = { ...where, verifyOnly: options.verifyOnly === true, report, configWritten: null };
      if (report.verified === false) return done(1);
      // A script can stop before the real copy when rows would be left out.
      if (dryRun) return done(report.rejects > 0 ? 2 : 0);
      if (options.verifyOnly) return done(0);
    } finally {
      for (const close of closers.reverse()) await close();
    }
    if (configPath) {
      const { passwordFrom } = writeConfig(configPath, target, reader.location);
      io.out(`wrote ${configPath} (mode 0600): it points the daemon at ${target.file ?? describeLocation(target.config)}`);
      if (json?.value) json.value.configWritten = configPath;
      if (passwordFrom) io.out(`  the password is not in the file: give the daemon ${passwordFrom} in its environment`);
    }
    try {
      io.out(await openAsDaemon(target, configPath, io));
    } catch (error) {
      throw new Error(`the copy is complete, but opening the target as the daemon does failed: ${(error as Error).message}`, { cause: error });
    }
    for (const line of rollbackSteps(reader.location, report.kind === 'legacy' ? 'legacy' : source.engine, configPath)) io.out(line);
    return done(0);
  },
};

/** What `copy --json` prints, filled in as the copy goes. */
interface CopyJson {
  value?: { from: string; to: string; dryRun: boolean; verifyOnly: boolean; report: CopyReport; configWritten: string | null };
}

function canonicalOrSelf(path: string): string | null {
  try {
    return canonicalPath(path);
  } catch {
    return null;
  }
}

/** A database's file and every file SQLite or this package keeps beside it. */
function databaseFiles(source: string | null, target: string | null): { path: string; what: string }[] {
  return [
    ...(source ? [{ path: source, what: 'the source database' }] : []),
    ...(target ? [{ path: target, what: 'the target database' }] : []),
  ].flatMap(({ path, what }) => [
    { path, what },
    ...['-wal', '-shm', '-journal', '.lock'].map((suffix) => ({ path: `${path}${suffix}`, what: `a file of ${what} (${path}${suffix})` })),
    { path: join(dirname(path), LEGACY_PID_FILE), what: `the daemon's pid file beside ${what}` },
  ]);
}

/**
 * The target store and a reader on it. A dry run copies for real into a scratch database
 * of the target's engine, thrown away afterwards, so its rejects and counts are exactly
 * what the real copy will meet: an SQLite target, a new file in a temporary directory; a
 * PostgreSQL target, a new schema in the target database, dropped at the end (the
 * target's own schema is never touched).
 */
async function openTarget(
  target: { config: DatabaseConfig; file: string | null },
  dryRun: boolean,
  closers: (() => Promise<void> | void)[],
  beforeMigrating: (store: Store) => Promise<void>,
): Promise<{ store: Store; reader: TableReader; scratch: boolean }> {
  let config = target.config;
  if (dryRun) {
    const scratch = await createScratchDatabase(config);
    closers.push(scratch.remove);
    config = scratch.config;
  }
  const store = createStore(config);
  closers.push(() => store.close());
  await beforeMigrating(store);
  await store.migrator.up();
  const reader = createTableReader(config);
  closers.push(() => reader.close());
  return { store, reader, scratch: dryRun };
}

/**
 * Whether the target may be written (false), only verified (true), or neither (throws);
 * decided before the target is migrated, so a refusal changes nothing.
 */
async function refuseUnlessResumable(store: Store, options: { resume: boolean; verify: boolean }, io: Io): Promise<boolean> {
  const journal = await store.bulk.journal();
  if (options.resume) {
    if (journal.size === 0 && options.verify && (await dataRows(store)) > 0) {
      io.out(`${store.location} holds data but no interrupted copy: nothing to resume; verifying it against the source, copying nothing`);
      return true;
    }
    await refuseForeignRows(store, journal);
    return false;
  }
  const unfinished = await store.bulk.interruptedCopy();
  if (unfinished && !options.verify) throw new CopyUnfinishedError(store.location, unfinished.sources, unfinished);
  if ((await dataRows(store)) === 0) return false;
  if (options.verify) {
    io.out(`${store.location} already holds data: verifying it against the source, copying nothing`);
    return true;
  }
  throw new Error(`${store.location} already holds data; copy into an empty database, or pass --resume to continue an interrupted copy`);
}

/**
 * A resumed copy replaces every table the interrupted one did not finish, and keeps those
 * it did: so the target must hold exactly what the interrupted copy wrote. Rows in any
 * other table, or a finished table whose row count changed since, were not written by
 * that copy and would be lost or mixed in: refused, nothing changed.
 */
async function refuseForeignRows(store: Store, journal: Map<string, number>): Promise<void> {
  const counts = await store.inspector.rowCounts();
  const foreign = Object.entries(counts).filter(([table, n]) => !isCopyBookkeeping(table) && n !== (journal.get(table) ?? 0));
  if (foreign.length === 0) return;
  const what = foreign.map(([table, n]) => `${table} (${n} rows${journal.has(table) ? `, the interrupted copy wrote ${journal.get(table)}` : ''})`).join(', ');
  if (journal.size === 0) {
    throw new Error(
      `--resume: ${store.location} holds data but no interrupted copy (${what}); nothing was changed. Copy into an empty database instead (or pass --verify to only compare)`,
    );
  }
  throw new Error(`--resume: ${store.location} holds rows the interrupted copy did not write: ${what}; nothing was changed`);
}

/** The copy's progress through the CLI's one reporter: silent unless both outputs are a terminal. */
function copyProgress(io: Io): { onProgress: CopyOptions['onProgress']; done: () => void } {
  const bar = progress(io);
  return {
    onProgress: (table, rows, seconds) =>
      bar.show(`copying ${table}: ${rows.toLocaleString('en-US')} rows (${Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en-US')} rows/s)`),
    done: bar.done,
  };
}
