import type { ForeignKeyShape } from '../ports/inspector.js';
import type { TableReader } from '../ports/table-reader.js';
import { converter, InvalidValue, type ConversionCounts } from './convert.js';
import type { TablePlan } from './plan.js';

/** One line of the reject file: an orphan row left out, or a value that could not be read. */
export interface Reject {
  table: string;
  id: string;
  reason: string;
  column?: string;
  value?: unknown;
  /** The row as converted (orphans only), so nothing is lost. */
  row?: Record<string, unknown>;
}

export interface TableCounts extends ConversionCounts {
  /** Rows read from the source. */
  read: number;
  /** Rows left out because a parent row is missing. */
  orphans: number;
  /** Sessions given the owner of --owner-person/--owner-uid. */
  ownersBackfilled: number;
}

export const emptyCounts = (): TableCounts => ({ read: 0, orphans: 0, ownersBackfilled: 0, converted: 0, coerced: 0, filled: 0, invalid: 0 });

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
  /** JSON columns pass as JsonText, unparsed (the caller knows every value is well-formed). */
  jsonText?: boolean;
}

const OWNER_TABLE = 'sessions';

/**
 * The rows of one target table as arrays of domain values in `plan.columns` order,
 * read from the source in batches and converted; orphans and unreadable values go to
 * `onReject` and are counted in `counts`.
 */
export async function* convertedRows(plan: TablePlan, options: RowOptions, counts: TableCounts): AsyncIterable<unknown[][]> {
  if (!plan.source) return;
  const typed = options.reader.decodesValues;
  const read: string[] = [];
  const at = (name: string | null) => {
    if (name === null) return -1;
    if (!read.includes(name)) read.push(name);
    return read.indexOf(name);
  };
  const columns = plan.columns.map((column) => ({
    name: column.name,
    nullable: column.nullable,
    fill: column.fill,
    from: at(column.source),
    fallback: at(column.fallbackSource),
    convert: converter(column.typeClass, counts, { typed, legacy: options.legacy, jsonText: options.jsonText }),
  }));
  const pk = plan.primaryKey.map((name) => plan.columns.findIndex((c) => c.name === name));
  const ownerAt = options.owner && plan.table === OWNER_TABLE ? ownerColumns(plan) : null;
  const idOf = (row: unknown[]) => pk.map((i) => String(row[i])).join('/');

  for await (const batch of options.reader.rows(plan.source, read, options.batchSize)) {
    counts.read += batch.length;
    const out: unknown[][] = new Array(batch.length);
    for (let r = 0; r < batch.length; r++) {
      const raw = batch[r]!;
      const row = new Array<unknown>(columns.length);
      let problems: [column: string, value: unknown, reason: string][] | null = null;
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
        }
        if (value === null && !column.nullable) {
          counts.filled++;
          value = column.fill;
        }
        row[c] = value;
      }
      if (problems) {
        const id = idOf(row);
        for (const [column, value, reason] of problems) options.onReject({ table: plan.table, id, column, value, reason });
      }
      if (ownerAt && row[ownerAt[0]] === null && row[ownerAt[1]] === null) {
        row[ownerAt[0]] = options.owner!.person;
        row[ownerAt[1]] = options.owner!.uid;
        counts.ownersBackfilled++;
      }
      out[r] = row;
    }
    yield options.parents ? dropOrphans(plan, out, await orphanLookups(plan, out, options.parents), options, counts, idOf) : out;
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
): unknown[][] {
  let kept = rows;
  for (const [n, fk] of plan.foreignKeys.entries()) {
    if (missing[n]!.size === 0) continue;
    const keyOf = keyReader(plan, fk);
    kept = kept.filter((row) => {
      const key = keyOf(row);
      if (key.some((v) => v === null) || !missing[n]!.has(JSON.stringify(key))) return true;
      counts.orphans++;
      options.onReject({
        table: plan.table,
        id: idOf(row),
        reason: `orphan: no ${fk.references} row with ${fk.referencedColumns.join(', ')} = ${key.map((v) => JSON.stringify(v)).join(', ')}`,
        row: Object.fromEntries(plan.columns.map((c, i) => [c.name, row[i]])),
      });
      return false;
    });
  }
  return kept;
}
