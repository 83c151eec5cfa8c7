import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveConfig } from '../../config/resolve-config.js';
import type { DatabaseConfig } from '../../config/config-schema.js';
import { createInstanceLock, createScratchDatabase, createStore, createTableReader, describeLocation } from '../../container.js';
import { CopyUnfinishedError, InstanceLockedError } from '../../domain/errors.js';
import { describeHolder } from '../../ports/instance-lock.js';
import { isCopyBookkeeping } from '../../ports/bulk-loader.js';
import type { Store } from '../../ports/store.js';
import type { TableReader } from '../../ports/table-reader.js';
import { copyDatabase, type CopyOptions } from '../../transfer/copier.js';
import type { Command, Io } from '../command.js';
import { printReport } from './copy-report.js';

/** A path is an SQLite file; a postgresql:// URL a server. Relative paths are from the working directory. */
function endpoint(location: string, io: Io): { config: DatabaseConfig; file: string | null } {
  const url = /^postgres(ql)?:\/\//.test(location);
  const overrides = url
    ? { engine: 'postgresql' as const, postgresql: { url: location, statementTimeoutMs: 0 } }
    : { engine: 'sqlite' as const, sqlite: { path: resolve(io.cwd, location) } };
  const { database } = resolveConfig({ overrides, env: { PGPASSWORD: io.env.PGPASSWORD }, cwd: io.cwd });
  return { config: database, file: url ? null : database.sqlite.path };
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
  usage: 'teleclaude-db copy --from SOURCE --to TARGET [--resume] [--dry-run] [--verify] [--batch-size N] [--owner-person NAME --owner-uid UID] [--reject-file PATH]',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    resume: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    verify: { type: 'boolean' },
    'batch-size': { type: 'string' },
    'owner-person': { type: 'string' },
    'owner-uid': { type: 'string' },
    'reject-file': { type: 'string' },
  },
  help: `SOURCE and TARGET are an SQLite file path or a postgresql:// URL. The source is only read
(SQLite is opened read-only) and may be a database of this package or the older Python
daemon's teleclaude.db (recognised by its schema_migrations). The target is migrated
first, then filled table by table, each table in one transaction.

Options:
  --from SOURCE         database to copy from (never written to)
  --to TARGET           database to copy into; refused when it holds data, unless --resume
  --resume              continue an interrupted copy: finished tables are skipped, the rest redone
                        (only from the same source, unchanged since the interruption)
  --dry-run             copy into a scratch database of the target's engine that is thrown away
                        (SQLite: a temporary file; PostgreSQL: a temporary schema in the target
                        database), and report rows, conversions and every reject the real copy
                        would meet; exit 2 when it would reject anything
  --verify              afterwards compare row counts and checksums of every table (exit 1 on a
                        difference); on a target that already holds the copy, only verify
  --batch-size N        rows per batch (default 1000)
  --owner-person NAME   with --owner-uid: owner of every copied session that has none
  --owner-uid UID
  --reject-file PATH    where orphans, rows the target refuses and unreadable values go, one JSON
                        object per line with the whole source row (default ./teleclaude-copy-rejects.jsonl)
Examples:
  teleclaude-db copy --from ~/.teleclaude/teleclaude.db --to postgresql://tc@db/teleclaude --verify
  teleclaude-db copy --from old.db --to new.db --dry-run
  teleclaude-db copy --from old.db --to postgresql://tc@db/teleclaude --resume --verify`,
  async run(values, _positionals, io) {
    const from = values.from as string | undefined;
    const to = values.to as string | undefined;
    if (!from || !to) throw new Error('give both --from SOURCE and --to TARGET');
    const person = values['owner-person'] as string | undefined;
    const uid = positiveInt(values['owner-uid'], '--owner-uid');
    if ((person === undefined) !== (uid === undefined)) throw new Error('give --owner-person and --owner-uid together');
    const source = endpoint(from, io);
    const target = endpoint(to, io);
    if (source.file && !existsSync(source.file)) throw new Error(`source ${source.file} does not exist`);
    if (source.file === target.file && (source.file !== null || from === to)) throw new Error('source and target are the same database');
    const dryRun = values['dry-run'] === true;
    const closers: (() => Promise<void> | void)[] = [];
    try {
      // A running daemon would keep writing the source while it is read.
      const holder = await createInstanceLock(source.config).holder();
      if (holder) {
        throw new InstanceLockedError(`a daemon is using the source (${describeHolder(holder)}); stop it before copying`, holder);
      }
      const reader = createTableReader(source.config, { snapshot: true });
      closers.push(() => reader.close());
      if (!dryRun) {
        // And none may start on the target while it is half filled.
        const lock = createInstanceLock(target.config);
        await lock.acquire();
        closers.push(() => lock.release());
      }
      const opened = await openTarget(target, dryRun, closers);
      const options: CopyOptions = {
        source: reader,
        target: opened.store,
        targetReader: opened.reader,
        resume: values.resume === true,
        dryRun,
        verify: values.verify === true,
        batchSize: positiveInt(values['batch-size'], '--batch-size'),
        owner: person !== undefined ? { person, uid: uid! } : undefined,
        rejectPath: resolve(io.cwd, (values['reject-file'] as string | undefined) ?? 'teleclaude-copy-rejects.jsonl'),
        onProgress: progress(io),
      };
      if (!dryRun) await refuseUnlessResumable(opened.store, options, io);
      const report = await copyDatabase(options);
      printReport(report, { from: reader.location, to: target.file ?? describeLocation(target.config), dryRun }, io);
      if (report.verified === false) return 1;
      // A script can stop before the real copy when rows would be left out.
      return dryRun && report.rejects > 0 ? 2 : 0;
    } finally {
      for (const close of closers.reverse()) await close();
    }
  },
};

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
): Promise<{ store: Store; reader: TableReader; scratch: boolean }> {
  let config = target.config;
  if (dryRun) {
    const scratch = await createScratchDatabase(config);
    closers.push(scratch.remove);
    config = scratch.config;
  }
  const store = createStore(config);
  closers.push(() => store.close());
  await store.migrator.up();
  const reader = createTableReader(config);
  closers.push(() => reader.close());
  return { store, reader, scratch: dryRun };
}

async function refuseUnlessResumable(store: Store, options: CopyOptions, io: Io): Promise<void> {
  if (options.resume) return;
  const unfinished = await store.bulk.interruptedCopy();
  if (unfinished && !options.verify) throw new CopyUnfinishedError(store.location, unfinished.sources, unfinished);
  if ((await dataRows(store)) === 0) return;
  if (options.verify) {
    options.verifyOnly = true;
    io.out(`${store.location} already holds data: verifying it against the source, copying nothing`);
    return;
  }
  throw new Error(`${store.location} already holds data; copy into an empty database, or pass --resume to continue an interrupted copy`);
}

function progress(io: Io): CopyOptions['onProgress'] {
  if (!io.tty) return undefined;
  let shown = 0;
  let current = '';
  return (table, rows, seconds) => {
    const now = Date.now();
    if (table === current && now - shown < 500) return;
    const up = table === current ? '\x1b[1A\x1b[2K' : '';
    current = table;
    shown = now;
    io.err(`${up}  ${table}: ${rows.toLocaleString('en-US')} rows (${Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en-US')} rows/s)`);
  };
}
