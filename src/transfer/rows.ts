import { contentProblem, dateProblem, jsonTextProblem, textProblem } from '../domain/content.js';
import { MAX_SEARCH_INDEX_BYTES, rowSearchProblem } from '../domain/search.js';
import { JsonText, type Refusal } from '../ports/bulk-loader.js';
import type { ForeignKeyShape } from '../ports/inspector.js';
import type { TableReader } from '../ports/table-reader.js';
import { converter, InvalidValue, type ConversionCounts } from './convert.js';
import type { TablePlan } from './plan.js';

/**
 * One line of the reject file: a row left out (an orphan, or a row the target refuses),
 * or a value that could not be read (the row is copied with the column's default).
 */
export interface Reject {
  table: string;
  id: string;
  /** `orphan` and `refused` rows are left out; an `invalid` value is copied as the column's default. */
  kind: 'orphan' | 'refused' | 'invalid';
  reason: string;
  column?: string;
  value?: unknown;
  /** The whole source row as the source holds it (source column names), so nothing is lost. */
  row?: Record<string, unknown>;
}

export interface TableCounts extends ConversionCounts {
  /** Rows read from the source. */
  read: number;
  /** Rows left out because a parent row is missing. */
  orphans: number;
  /** Rows left out because the target refuses them (a constraint, a value it cannot store). */
  refused: number;
  /** Sessions given the owner of --owner-person/--owner-uid. */
  ownersBackfilled: number;
}

export const emptyCounts = (): TableCounts => ({ read: 0, orphans: 0, refused: 0, ownersBackfilled: 0, converted: 0, coerced: 0, filled: 0, invalid: 0 });

/** Answers which parent keys (as `JSON.stringify(key)`) have no parent row, for the orphan check. */
export type ParentLookup = (fk: ForeignKeyShape, keys: unknown[][]) => Promise<Set<string>>;

export interface RowOptions {
  reader: TableReader;
  batchSize: number;
  legacy: boolean;
  /** Set for sources that do not enforce foreign keys: rows whose parent is missing become rejects. */
  parents?: ParentLookup;
  owner?: { person: string; uid: number };
  onReject: (reject: Reject) => void;
  /**
   * JSON columns pass as JsonText, unparsed: `true` when the caller knows every value is
   * well-formed; `'unverified'` when nobody checked (the target's own check refuses
   * malformed JSON on the rows it loads; for a row left out here, whose JSON the target
   * never sees, malformed JSON throws MalformedJsonText, so the caller can redo the table
   * as if it had known).
   */
  jsonText?: boolean | 'unverified';
}

/**
 * Thrown, with `jsonText: 'unverified'`, by a row left out (an orphan, a value no engine
 * stores alike) that holds JSON text that is not well-formed: its JSON would have been an
 * `invalid` value, so the table is read again with its JSON parsed.
 */
export class MalformedJsonText extends Error {
  constructor(readonly table: string) {
    super(`${table}: a row left out holds malformed JSON`);
  }
}

/** Whether a converted row holds JsonText that JSON.parse refuses. */
function holdsMalformedJson(row: unknown[], columns: number): boolean {
  for (let i = 0; i < columns; i++) {
    const value = row[i];
    if (!(value instanceof JsonText)) continue;
    try {
      JSON.parse(value.text);
    } catch {
      return true;
    }
  }
  return false;
}

const OWNER_TABLE = 'sessions';

/** The source columns a table's rows are read from, in read order (converted rows carry them at `plan.columns.length`). */
export function sourceColumns(plan: TablePlan): string[] {
  const read: string[] = [];
  for (const column of plan.columns) {
    for (const name of [column.source, column.fallbackSource]) if (name !== null && !read.includes(name)) read.push(name);
  }
  return read;
}

/** The primary key of a converted row, as the reject file names it (`a/b` for a composite key). */
export function rowId(plan: TablePlan): (row: unknown[]) => string {
  const pk = plan.primaryKey.map((name) => plan.columns.findIndex((c) => c.name === name));
  return (row) => pk.map((i) => String(row[i])).join('/');
}

/** The source row a converted row came from, by source column name. */
export function sourceRow(plan: TablePlan, read = sourceColumns(plan)): (row: unknown[]) => Record<string, unknown> {
  return (row) => {
    const raw = row[plan.columns.length] as unknown[] | undefined;
    if (!raw) return Object.fromEntries(plan.columns.map((c, i) => [c.name, row[i]]));
    return Object.fromEntries(read.map((name, i) => [name, raw[i]]));
  };
}

/** The reject of a row the target refused during the load. */
export function refusedReject(plan: TablePlan, row: unknown[], refusal: Refusal, read = sourceColumns(plan)): Reject {
  const column = refusal.column === undefined ? undefined : plan.columns.find((c) => c.name === refusal.column);
  const raw = row[plan.columns.length] as unknown[] | undefined;
  const at = column?.source ? read.indexOf(column.source) : -1;
  const value = column === undefined ? undefined : raw && at >= 0 ? raw[at] : row[plan.columns.indexOf(column)];
  return {
    table: plan.table,
    id: rowId(plan)(row),
    kind: 'refused',
    reason: refusal.reason,
    ...(column ? { column: column.name, value } : {}),
    row: sourceRow(plan, read)(row),
  };
}

/**
 * Why the target could not store a converted value the same way on every engine (NUL,
 * a lone surrogate, JSON nested too deep, a date outside years 1..9999), or null: the
 * repositories' content rule (domain/content.ts), applied per value.
 */
function storableProblem(value: unknown): string | null {
  // textProblem's own first checks (indexOf NUL, isWellFormed) are native scans, far cheaper than a regular expression.
  if (typeof value === 'string') return textProblem(value);
  if (value instanceof Date) return dateProblem(value);
  if (value instanceof JsonText) return jsonTextProblem(value.text);
  return value !== null && typeof value === 'object' ? contentProblem(value) : null;
}

/** Tables with a search index: a row whose words no engine's index can hold alike is refused (domain/search.ts). */
const SEARCHED_TABLES = new Set(['mirrors', 'memory_observations']);

/**
 * Rows whose text values (strings, JSON text, the strings of an array) hold at most this
 * many UTF-16 code units in all cannot reach MAX_SEARCH_INDEX_BYTES, so the per-row search
 * check (which splits every text into words) is skipped for them: each occurrence of a word
 * of n code units costs the index at most 3n + 1 bytes of text, 2 of position count and 2
 * of position, <= 8n; lowercasing at most doubles a text's code units (U+0130); JSON's
 * decoded strings are no longer than its text. So the index needs <= 16 x the units.
 */
const SEARCH_CHECK_UNITS = Math.floor(MAX_SEARCH_INDEX_BYTES / 16);

/** The code units of a row's text values, or Infinity when a value's words cannot be bounded cheaply (a parsed object). */
function textUnits(row: unknown[], columns: number): number {
  let units = 0;
  for (let c = 0; c < columns; c++) {
    const value = row[c];
    if (typeof value === 'string') units += value.length;
    else if (value instanceof JsonText) units += value.text.length;
    else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string') units += item.length;
    } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) return Infinity;
  }
  return units;
}

/**
 * The rows of one target table as arrays of domain values in `plan.columns` order,
 * read from the source in batches and converted; each row also carries its source row
 * (at index `plan.columns.length`, which loaders ignore) for the reject file. Orphans,
 * values no engine can store alike (the row is left out) and unreadable values (set to
 * the column's default) go to `onReject` and are counted in `counts`.
 */
export async function* convertedRows(plan: TablePlan, options: RowOptions, counts: TableCounts): AsyncIterable<unknown[][]> {
  if (!plan.source) return;
  const typed = options.reader.decodesValues;
  const read = sourceColumns(plan);
  const columns = plan.columns.map((column) => ({
    name: column.name,
    nullable: column.nullable,
    fill: column.fill,
    from: column.source === null ? -1 : read.indexOf(column.source),
    fallback: column.fallbackSource === null ? -1 : read.indexOf(column.fallbackSource),
    convert: converter(column.typeClass, counts, { typed, legacy: options.legacy, jsonText: options.jsonText !== undefined && options.jsonText !== false }),
  }));
  const ownerAt = options.owner && plan.table === OWNER_TABLE ? ownerColumns(plan) : null;
  const idOf = rowId(plan);
  const rawOf = sourceRow(plan, read);
  const searched = SEARCHED_TABLES.has(plan.table);
  const columnAt = new Map(plan.columns.map((c, i) => [c.name, i]));

  for await (const batch of options.reader.rows(plan.source, read, options.batchSize)) {
    counts.read += batch.length;
    const out: unknown[][] = [];
    for (let r = 0; r < batch.length; r++) {
      const raw = batch[r]!;
      const row = new Array<unknown>(columns.length + 1);
      let problems: [column: string, value: unknown, reason: string][] | null = null;
      let unstorable: [column: string, value: unknown, reason: string] | null = null;
      for (let c = 0; c < columns.length; c++) {
        const column = columns[c]!;
        if (column.from < 0 && column.fallback < 0) {
          row[c] = column.fill;
          continue;
        }
        const stored = column.from < 0 ? null : raw[column.from];
        let value = column.fallback >= 0 && empty(stored) ? raw[column.fallback] : stored;
        value = value === null || value === undefined ? null : column.convert(value);
        if (value instanceof InvalidValue) {
          counts.invalid++;
          (problems ??= []).push([column.name, stored, value.reason]);
          value = null;
        } else if (value !== null && unstorable === null) {
          const problem = storableProblem(value);
          if (problem) unstorable = [column.name, stored, problem];
        }
        if (value === null && !column.nullable && column.fill !== null) {
          counts.filled++;
          value = column.fill;
        }
        row[c] = value;
      }
      row[columns.length] = raw;
      if (!unstorable && searched && textUnits(row, columns.length) > SEARCH_CHECK_UNITS) {
        const problem = rowSearchProblem(plan.table, (name) => row[columnAt.get(name) ?? -1] ?? null);
        if (problem) unstorable = [problem.column, raw[columns[columnAt.get(problem.column)!]!.from], problem.reason];
      }
      if (unstorable) {
        if (options.jsonText === 'unverified' && holdsMalformedJson(row, columns.length)) throw new MalformedJsonText(plan.table);
        counts.refused++;
        const [column, value, reason] = unstorable;
        options.onReject({ table: plan.table, id: idOf(row), kind: 'refused', column, value, reason, row: rawOf(row) });
        continue;
      }
      if (problems) {
        const id = idOf(row);
        for (const [column, value, reason] of problems) options.onReject({ table: plan.table, id, kind: 'invalid', column, value, reason, row: rawOf(row) });
      }
      if (ownerAt && row[ownerAt[0]] === null && row[ownerAt[1]] === null) {
        row[ownerAt[0]] = options.owner!.person;
        row[ownerAt[1]] = options.owner!.uid;
        counts.ownersBackfilled++;
      }
      out.push(row);
    }
    yield options.parents ? dropOrphans(plan, out, await orphanLookups(plan, out, options.parents), options, counts, idOf, rawOf) : out;
  }
}

function empty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

function ownerColumns(plan: TablePlan): [number, number] | null {
  const person = plan.columns.findIndex((c) => c.name === 'owner_person');
  const uid = plan.columns.findIndex((c) => c.name === 'owner_uid');
  return person >= 0 && uid >= 0 ? [person, uid] : null;
}

const keyReader = (plan: TablePlan, fk: ForeignKeyShape) => {
  const at = fk.columns.map((name) => plan.columns.findIndex((c) => c.name === name));
  return (row: unknown[]) => at.map((i) => row[i]);
};

/** For each foreign key of the table, the keys of `rows` that have no parent. */
function orphanLookups(plan: TablePlan, rows: unknown[][], parents: ParentLookup): Promise<Set<string>[]> {
  return Promise.all(
    plan.foreignKeys.map((fk) => {
      const keys = rows.map(keyReader(plan, fk)).filter((key) => key.every((v) => v !== null));
      return keys.length === 0 ? new Set<string>() : parents(fk, keys);
    }),
  );
}

/** `rows` without the orphans (reported to `onReject`) that `missing` names, one set per foreign key. */
function dropOrphans(
  plan: TablePlan,
  rows: unknown[][],
  missing: Set<string>[],
  options: RowOptions,
  counts: TableCounts,
  idOf: (row: unknown[]) => string,
  rawOf: (row: unknown[]) => Record<string, unknown>,
): unknown[][] {
  let kept = rows;
  for (const [n, fk] of plan.foreignKeys.entries()) {
    if (missing[n]!.size === 0) continue;
    const keyOf = keyReader(plan, fk);
    kept = kept.filter((row) => {
      const key = keyOf(row);
      if (key.some((v) => v === null) || !missing[n]!.has(JSON.stringify(key))) return true;
      if (options.jsonText === 'unverified' && holdsMalformedJson(row, plan.columns.length)) throw new MalformedJsonText(plan.table);
      counts.orphans++;
      options.onReject({
        table: plan.table,
        id: idOf(row),
        kind: 'orphan',
        reason: `orphan: no ${fk.references} row with ${fk.referencedColumns.join(', ')} = ${key.map((v) => JSON.stringify(v)).join(', ')}`,
        row: rawOf(row),
      });
      return false;
    });
  }
  return kept;
}
