import { existsSync, readFileSync } from 'node:fs';
import { UnavailableError } from '../domain/errors.js';
import type { Store } from '../ports/store.js';
import type { TableReader } from '../ports/table-reader.js';
import { TableChecksum } from './checksum.js';
import { detectSource, planCopy, type CopyPlan, type TablePlan } from './plan.js';
import { RejectFile } from './reject-file.js';
import { convertedRows, emptyCounts, MalformedJsonText, refusedReject, rowId, sourceColumns, type ParentLookup, type Reject, type RowOptions, type TableCounts } from './rows.js';

export interface CopyOptions {
  source: TableReader;
  /** The target store, migrated (for a dry run, any store with the target's schema). */
  target: Store;
  /** A reader on the same database as `target`. */
  targetReader: TableReader;
  resume?: boolean;
  /**
   * `target` is a scratch database of the target's engine, thrown away afterwards: the
   * copy runs exactly as it would (so its rejects and counts are the real run's), but no
   * reject file is written; the rejects are listed in the report instead.
   */
  dryRun?: boolean;
  /** Copy (unless `verifyOnly`), then compare row counts and checksums of every table. */
  verify?: boolean;
  verifyOnly?: boolean;
  batchSize?: number;
  owner?: { person: string; uid: number };
  rejectPath: string;
  onProgress?: (table: string, rows: number, seconds: number) => void;
}

export interface TableReport {
  table: string;
  source: string | null;
  status: 'copied' | 'skipped' | 'counted' | 'verified';
  rows: number;
  seconds: number;
  counts: TableCounts;
  missingColumns: string[];
  ignoredColumns: string[];
  verify?: { sourceRows: number; targetRows: number; sourceChecksum: string; targetChecksum: string; equal: boolean };
}

/** A reject as the report lists it (the reject file also holds the value and the row). */
export type RejectSummary = Pick<Reject, 'table' | 'id' | 'column' | 'reason'>;

/** At most this many rejects are kept in the report; the reject file holds all of them. */
export const REPORTED_REJECTS = 10_000;

export interface CopyReport {
  kind: CopyPlan['kind'];
  tables: TableReport[];
  ignoredTables: string[];
  rejects: number;
  /** The first REPORTED_REJECTS rejects, in the order they were found. */
  rejectList: RejectSummary[];
  rejectPath: string | null;
  seconds: number;
  /** Set when verification ran: true when every table matched. */
  verified?: boolean;
}

/** Copies (or counts, or verifies) every table of the target's schema from the source. */
export async function copyDatabase(options: CopyOptions): Promise<CopyReport> {
  const started = performance.now();
  const { source, target, targetReader } = options;
  const batchSize = options.batchSize ?? 1000;
  const sourceTables = await source.tables();
  const kind = await detectSource(source, sourceTables, target.migrator.names());
  const writing = !options.verifyOnly;
  const journal = writing ? await target.bulk.journal() : new Map<string, number>();
  const fingerprint = await source.fingerprint();
  if (writing && options.resume && journal.size > 0) await sameSource(target, fingerprint);
  // An interrupted copy left its target's foreign keys suspended: put them back, so the
  // plan below sees them (load order, orphan checks); they are suspended again for the load.
  if (writing) await target.bulk.restoreForeignKeys();
  const schema = await target.inspector.schema();
  const defaults = new Map(await Promise.all(schema.tables.map(async (t) => [t.name, await targetReader.columnDefaults(t.name)] as const)));
  const plan = planCopy(kind, schema, defaults, sourceTables, await source.lastWritten());
  const reports: TableReport[] = [];
  const rejectFile = !writing || options.dryRun ? null : new RejectFile(options.rejectPath, options.resume ? new Set(journal.keys()) : null);
  let rejects = 0;
  const rejectList: RejectSummary[] = [];
  const onReject = (reject: Reject) => {
    rejects++;
    rejectFile?.write(reject);
    if (rejectList.length < REPORTED_REJECTS) {
      rejectList.push({ table: reject.table, id: reject.id, ...(reject.column === undefined ? {} : { column: reject.column }), reason: reject.reason });
    }
  };
  // Tables that lost rows (refused by the target): their children must be checked for orphans.
  const lostRows = new Set<string>();
  // Ids of the rows the target refused, left out of verification too.
  const refusedIds = new Map<string, Set<string>>();
  const orphans = orphanScan(plan, source, lostRows);
  // The source's orphan scans (one statement per foreign key, synchronous on SQLite) run
  // here, before any table loads, instead of at each table's start, where they would stall
  // the COPY of the table loading beside it.
  orphans.prescanAll();
  const batchSizes = new Map<string, Promise<number>>();
  const batchOf = (table: TablePlan) => {
    if (!batchSizes.has(table.table)) batchSizes.set(table.table, batchFor(source, table, batchSize));
    return batchSizes.get(table.table)!;
  };
  const rowOptions = async (table: TablePlan, parents: ParentLookup, sink: (r: Reject) => void): Promise<RowOptions> => ({
    reader: source,
    batchSize: await batchOf(table),
    legacy: kind === 'legacy',
    parents: (await orphans.check(table)) ? parents : undefined,
    owner: options.owner,
    onReject: sink,
  });
  const inTarget: ParentLookup = (fk, keys) => targetReader.missingKeys(fk.references, fk.referencedColumns, keys);

  try {
    if (!options.verifyOnly) {
      const parents = inTarget;
      const toLoad = plan.tables.filter((t) => !(options.resume && journal.has(t.table))).map((t) => t.table);
      // Parents commit before their children start and orphans are rejected above, so the
      // per-row checks are redundant: the keys come back, checked once each, at the end.
      await target.bulk.suspendForeignKeys(toLoad);
      await inDependencyOrder(plan.tables, CONCURRENT_TABLES, async (table) => {
        const begun = performance.now();
        let counts = emptyCounts();
        const report = (status: TableReport['status'], rows: number): TableReport => ({
          table: table.table,
          source: table.source,
          status,
          rows,
          seconds: (performance.now() - begun) / 1000,
          counts,
          missingColumns: table.missingColumns,
          ignoredColumns: table.ignoredColumns,
        });
        if (journal.has(table.table) && options.resume) {
          reports.push(report('skipped', journal.get(table.table)!));
          return;
        }
        // JSON as text, unparsed, when the source hands out text. This package's own file
        // cannot hold malformed JSON (its schema checks json_valid()), so its tables go
        // unchecked and the target's check is the only one; the whole-table pre-scan runs
        // only when the target refused the stream. The older daemon's file had no such
        // check: its tables are scanned first, as a failed stream would cost more.
        const optimistic = kind !== 'legacy' && jsonTextPossible(table, source);
        const scanned = optimistic ? null : await wellFormedJson(table, source);
        const idOf = rowId(table);
        // Rejects are kept until the table commits: an attempt that is redone reports nothing.
        const attempt = async (isolate: boolean, jsonText: boolean | 'unverified') => {
          const found: Reject[] = [];
          const tally = emptyCounts();
          const refused = new Set<string>();
          const rows = convertedRows(table, { ...(await rowOptions(table, parents, (r) => found.push(r))), jsonText }, tally);
          const written = await target.bulk.load(table.table, table.columns.map((c) => c.name), rows, {
            replace: true,
            journal: true,
            source: fingerprint,
            onBatch: (n) => options.onProgress?.(table.table, n, (performance.now() - begun) / 1000),
            onRefused: isolate
              ? (row, refusal) => {
                  tally.refused++;
                  refused.add(idOf(row));
                  found.push(refusedReject(table, row, refusal));
                }
              : undefined,
          });
          return { written, found, tally, refused };
        };
        // The whole table in one stream first; only when the target refuses something is the
        // table loaded again with every refused row isolated (PostgreSQL then loads segment by
        // segment under savepoints, which costs time while nothing is refused). When the JSON
        // went unchecked, the pre-scan decides the redo, which then runs as it would have had
        // the scan come first: the rejects are the same either way.
        const stream = async (jsonText: boolean, streamFirst: boolean) => {
          if (streamFirst) {
            try {
              return await attempt(false, jsonText);
            } catch (error) {
              if (error instanceof UnavailableError) throw error;
            }
          }
          return attempt(true, jsonText);
        };
        let result: Awaited<ReturnType<typeof attempt>>;
        try {
          result = await attempt(false, optimistic ? 'unverified' : scanned!);
        } catch (error) {
          if (error instanceof UnavailableError) throw error;
          if (!optimistic) result = await attempt(true, scanned!);
          else {
            const wellFormed = await wellFormedJson(table, source);
            // A well-formed table whose stream the target refused for another reason: that
            // stream was the one the scan would have chosen, so straight to the isolated load.
            result = await stream(wellFormed, !wellFormed || error instanceof MalformedJsonText);
          }
        }
        const { written } = result;
        counts = result.tally;
        for (const reject of result.found) onReject(reject);
        if (result.refused.size > 0) refusedIds.set(table.table, result.refused);
        if (counts.refused > 0) lostRows.add(table.table);
        reports.push(report(options.dryRun ? 'counted' : 'copied', written));
      });
      const position = new Map(plan.tables.map((t, i) => [t.table, i]));
      reports.sort((a, b) => position.get(a.table)! - position.get(b.table)!);
      await target.bulk.restoreForeignKeys();
      for (const table of plan.tables) {
        const key = autoIdColumn(table);
        if (key) await target.bulk.resetIdentity(table.table, key);
      }
      await target.bulk.dropJournal();
    }
    let verified: boolean | undefined;
    if (options.verify || options.verifyOnly) {
      if (!options.dryRun) refusedInFile(options.rejectPath, refusedIds);
      verified = await verifyTables(plan, options, (table) => rowOptions(table, inTarget, () => {}), reports, refusedIds);
    }
    return {
      kind,
      tables: reports,
      ignoredTables: plan.ignoredTables,
      rejects,
      rejectList,
      rejectPath: rejectFile && rejectFile.written > 0 ? rejectFile.path : null,
      seconds: (performance.now() - started) / 1000,
      verified,
    };
  } finally {
    rejectFile?.close();
  }
}

/**
 * Adds the rows the reject file records as refused by the target (a resumed copy's
 * earlier run, or the copy a `--verify` alone checks) to `ids`: verification leaves
 * them out of the source side, as the copy left them out of the target.
 */
function refusedInFile(path: string, ids: Map<string, Set<string>>): void {
  if (!existsSync(path)) return;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes('"refused"')) continue;
    const reject = JSON.parse(line) as Reject;
    if (reject.kind !== 'refused') continue;
    ids.set(reject.table, (ids.get(reject.table) ?? new Set()).add(reject.id));
  }
}

/**
 * A resumed copy must read what the interrupted one read: tables copied from another
 * source, or from this one before it changed, would not fit together.
 */
async function sameSource(target: Store, fingerprint: string): Promise<void> {
  const other = [...(await target.bulk.journalSources())].find((recorded) => recorded !== fingerprint);
  if (other === undefined) return;
  throw new Error(
    `--resume: the interrupted copy read ${other}, but this source is ${fingerprint}. A copy resumes only from the same, ` +
      'unchanged source; copy into an empty database instead (teleclaude-db reset --yes empties this one).',
  );
}

/** About this many bytes of source values per batch: a table of long transcripts is read in fewer rows at a time. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Rows sampled at a table's start to size its batches. */
const SAMPLE_ROWS = 100;

/**
 * The batch size of a table: `limit` rows, or fewer when its first SAMPLE_ROWS rows average
 * more than BATCH_BYTES / `limit` bytes (text by its length, anything else as 8), so the
 * rows a batch holds in memory stay near BATCH_BYTES whatever the rows are like (at least
 * 10 rows a batch). A sample of the table's start, not a guarantee: a table whose rows grow
 * later reads bigger batches.
 */
async function batchFor(source: TableReader, table: TablePlan, limit: number): Promise<number> {
  if (!table.source) return limit;
  let bytes = 0;
  let rows = 0;
  for await (const batch of source.rows(table.source, sourceColumns(table), SAMPLE_ROWS)) {
    for (const row of batch) for (const value of row) bytes += typeof value === 'string' ? value.length : 8;
    rows = batch.length;
    break;
  }
  if (rows === 0 || bytes === 0) return limit;
  return Math.max(10, Math.min(limit, Math.floor(BATCH_BYTES / (bytes / rows))));
}

/**
 * Tables load side by side on their own connections (PostgreSQL works on each in its
 * own backend while this process reads and encodes the next batches); a table starts
 * only once every table it references has committed.
 */
const CONCURRENT_TABLES = 2;

async function inDependencyOrder(tables: TablePlan[], concurrency: number, work: (table: TablePlan) => Promise<void>): Promise<void> {
  const finished = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  let running = 0;
  for (const table of tables) {
    const parents = table.foreignKeys.flatMap((fk) => (fk.references !== table.table && finished.has(fk.references) ? [finished.get(fk.references)!] : []));
    const run = async () => {
      await Promise.all(parents);
      while (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
      try {
        await work(table);
      } finally {
        running--;
        waiting.shift()?.();
      }
    };
    finished.set(table.table, run());
  }
  const failed = (await Promise.allSettled(finished.values())).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** An integer single-column primary key: the engine hands out its values (AUTOINCREMENT / identity). */
function autoIdColumn(table: TablePlan): string | null {
  if (table.primaryKey.length !== 1) return null;
  const column = table.columns.find((c) => c.name === table.primaryKey[0]);
  return column?.typeClass === 'integer' ? column.name : null;
}

/** The source columns of a table's JSON columns. */
function jsonSources(table: TablePlan): string[] {
  return table.columns.flatMap((c) => (c.typeClass === 'json' && c.source ? [c.source] : []));
}

/** Whether the table has JSON the source hands out as text (SQLite), which may pass to the target unparsed. */
function jsonTextPossible(table: TablePlan, source: TableReader): boolean {
  return !source.decodesValues && table.source !== null && jsonSources(table).length > 0;
}

/**
 * Whether the JSON of a table can go to the target as text, unparsed: the source hands
 * out text (SQLite) and one pass finds no malformed value, so there is nothing to report
 * and the target's check (jsonb input, or the SQLite schema's json_valid()) can only pass.
 */
async function wellFormedJson(table: TablePlan, source: TableReader): Promise<boolean> {
  if (!jsonTextPossible(table, source)) return false;
  return (await source.malformedJsonCount(table.source!, jsonSources(table))) === 0;
}

/**
 * Whether rows of a table may lack their parent, so they must be checked batch by batch
 * (orphans are rejected, never loaded): when a parent table lost rows the target refused
 * (`lostRows`, known once the parent has loaded, before its children start); never
 * otherwise for a source that enforces foreign keys; for others when one pass over the
 * source finds rows without a parent, or a parent table may itself lose rows that way.
 * Usually nothing is found and no row is checked. `prescanAll` runs the passes over the
 * source up front; `check` answers at a table's start.
 */
function orphanScan(plan: CopyPlan, source: TableReader, lostRows: ReadonlySet<string>): { prescanAll: () => void; check: (table: TablePlan) => Promise<boolean> } {
  const byName = new Map(plan.tables.map((t) => [t.table, t]));
  // What the source alone says (memoised: it does not change during the copy).
  const scanned = new Map<string, Promise<boolean>>();
  const scan = async (table: TablePlan): Promise<boolean> => {
    if (!table.source || source.enforcesForeignKeys) return false;
    for (const fk of table.foreignKeys) {
      const parent = byName.get(fk.references);
      if (!parent || parent === table || (await prescan(parent))) return true;
      const columns = fk.columns.map((name) => table.columns.find((c) => c.name === name)?.source ?? null);
      const parentColumns = fk.referencedColumns.map((name) => parent.columns.find((c) => c.name === name)?.source ?? null);
      if (!parent.source || [...columns, ...parentColumns].some((c) => c === null)) return true;
      if ((await source.orphanCount(table.source, columns as string[], parent.source, parentColumns as string[])) > 0) return true;
    }
    return false;
  };
  const prescan = (table: TablePlan) => {
    if (!scanned.has(table.table)) scanned.set(table.table, scan(table));
    return scanned.get(table.table)!;
  };
  // Plus the rows the target refused, known as the parents load (memoised at a table's start,
  // when every parent has committed).
  const known = new Map<string, Promise<boolean>>();
  const decide = async (table: TablePlan): Promise<boolean> => {
    if (!table.source) return false;
    if (table.foreignKeys.some((fk) => lostRows.has(fk.references))) return true;
    if (source.enforcesForeignKeys) return false;
    if (await prescan(table)) return true;
    for (const fk of table.foreignKeys) {
      const parent = byName.get(fk.references);
      if (parent && parent !== table && (await check(parent))) return true;
    }
    return false;
  };
  const check = (table: TablePlan): Promise<boolean> => {
    if (!known.has(table.table)) known.set(table.table, decide(table));
    return known.get(table.table)!;
  };
  return {
    // A failed scan is reported where its table awaits it.
    prescanAll: () => {
      for (const table of plan.tables) prescan(table).catch(() => {});
    },
    check,
  };
}

async function verifyTables(
  plan: CopyPlan,
  options: CopyOptions,
  sourceRows: (table: TablePlan) => Promise<RowOptions>,
  reports: TableReport[],
  refusedIds: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<boolean> {
  const { targetReader } = options;
  const targetPlan = planCopy('ours', await options.target.inspector.schema(), new Map(), await targetReader.tables(), new Date(0));
  let allEqual = true;
  for (const table of plan.tables) {
    const begun = performance.now();
    const mirror = targetPlan.tables.find((t) => t.table === table.table)!;
    const names = table.columns.map((c) => c.name);
    const types = table.columns.map((c) => c.typeClass);
    const fromSource = new TableChecksum(names, types);
    const counts = emptyCounts();
    const fromSourceOptions = await sourceRows(table);
    const refused = refusedIds.get(table.table);
    const idOf = rowId(table);
    for await (const batch of convertedRows(table, fromSourceOptions, counts)) {
      for (const row of batch) if (!refused?.has(idOf(row))) fromSource.add(row);
    }
    const fromTarget = new TableChecksum(mirror.columns.map((c) => c.name), mirror.columns.map((c) => c.typeClass));
    const targetOptions: RowOptions = { reader: targetReader, batchSize: fromSourceOptions.batchSize, legacy: false, onReject: () => {} };
    for await (const batch of convertedRows(mirror, targetOptions, emptyCounts())) for (const row of batch) fromTarget.add(row);
    const verify = {
      sourceRows: fromSource.rows,
      targetRows: fromTarget.rows,
      sourceChecksum: fromSource.hex(),
      targetChecksum: fromTarget.hex(),
      equal: fromSource.rows === fromTarget.rows && fromSource.hex() === fromTarget.hex(),
    };
    allEqual &&= verify.equal;
    const existing = reports.find((r) => r.table === table.table);
    if (existing) existing.verify = verify;
    else {
      reports.push({
        table: table.table,
        source: table.source,
        status: 'verified',
        rows: fromTarget.rows,
        seconds: (performance.now() - begun) / 1000,
        counts,
        missingColumns: table.missingColumns,
        ignoredColumns: table.ignoredColumns,
        verify,
      });
    }
  }
  return allEqual;
}
