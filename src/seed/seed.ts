import { ConflictError } from '../domain/errors.js';
import type { TypeClass } from '../ports/inspector.js';
import type { Store } from '../ports/store.js';
import { domainSeeders } from './domain-seeders.js';
import { foundationSeeders } from './foundation-seeders.js';
import { createSeedContext, type TableSeeder } from './seed-plan.js';
import { workQueueSeeders } from './work-queue-seeders.js';

/** One generator per table of the domain; tables missing from a database are skipped. */
export const SEEDERS: readonly TableSeeder[] = [...foundationSeeders, ...workQueueSeeders, ...domainSeeders];

export interface SeedOptions {
  sessions: number;
  /** Same seed, same data (default: random). */
  seed?: number;
  /** The newest timestamp of the sample data (default: now). */
  now?: Date;
  /** Delete the rows of the seeded tables first (default: refuse tables that hold rows). */
  replace?: boolean;
  batchSize?: number;
  onProgress?: (table: string, rowsSoFar: number) => void;
}

export interface SeedReport {
  /** Rows written per table, in the order seeded. */
  written: { table: string; rows: number }[];
  /** Tables of the database that no generator fills. */
  unseeded: string[];
}

/**
 * Fills every table of the database that has a generator with related sample data
 * (children reference seeded parents), each table in one bulk transaction, parents first.
 */
export async function seed(store: Pick<Store, 'bulk' | 'inspector'>, options: SeedOptions): Promise<SeedReport> {
  const shapes = new Map((await store.inspector.schema()).tables.map((t) => [t.name, t]));
  const plan = order(SEEDERS.filter((s) => shapes.has(s.table)));
  const unseeded = [...shapes.keys()].filter((t) => !SEEDERS.some((s) => s.table === t));
  // Children first: deleting a parent then finds no child rows to check or cascade into.
  if (options.replace) await store.bulk.clear(plan.map((s) => s.table).reverse());
  else {
    const counts = await store.inspector.rowCounts();
    const full = plan.filter((s) => (counts[s.table] ?? 0) > 0).map((s) => s.table);
    if (full.length > 0) throw new ConflictError(`table(s) ${full.join(', ')} already hold rows; seed with --replace to replace them`);
  }

  const ctx = createSeedContext(options.sessions, options.seed ?? Math.floor(Math.random() * 2 ** 32), options.now ?? new Date());
  const written: SeedReport['written'] = [];
  for (const seeder of plan) {
    const rows = seeder.rows(ctx)[Symbol.iterator]();
    const first = rows.next();
    if (first.done) {
      written.push({ table: seeder.table, rows: 0 });
      continue;
    }
    const shape = shapes.get(seeder.table)!;
    const columns = Object.keys(first.value).filter((c) => shape.columns.some((s) => s.name === c));
    const fits = columns.map((c) => fitter(shape.columns.find((s) => s.name === c)!.typeClass));
    const n = await store.bulk.load(seeder.table, columns, batches(first.value, rows, columns, fits, options.batchSize ?? 2000), {
      onBatch: (so) => options.onProgress?.(seeder.table, so),
    });
    written.push({ table: seeder.table, rows: n });
  }
  return { written, unseeded };
}

function* batches(
  first: Record<string, unknown>,
  rest: Iterator<Record<string, unknown>>,
  columns: string[],
  fits: ((v: unknown) => unknown)[],
  size: number,
): Iterable<unknown[][]> {
  const toArray = (row: Record<string, unknown>) => columns.map((c, i) => fits[i]!(row[c] ?? null));
  let batch: unknown[][] = [toArray(first)];
  for (let next = rest.next(); !next.done; next = rest.next()) {
    batch.push(toArray(next.value));
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Generators write domain values; a table of another engineer may store a value in a
 * different class (a list as JSON text, a time as epoch ms), so values are adapted to
 * the column's actual type class.
 */
function fitter(typeClass: TypeClass): (value: unknown) => unknown {
  switch (typeClass) {
    case 'text':
      return (v) => (v instanceof Date ? v.toISOString() : v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
    case 'integer':
    case 'real':
      return (v) => (v instanceof Date ? v.getTime() : typeof v === 'boolean' ? (v ? 1 : 0) : v);
    case 'timestamp':
      return (v) => (typeof v === 'number' ? new Date(v) : v);
    case 'boolean':
      return (v) => (typeof v === 'number' ? v !== 0 : v);
    default:
      return (v) => v;
  }
}

/** Parents before children (by `after`, among the tables present); otherwise in declaration order. */
function order(seeders: TableSeeder[]): TableSeeder[] {
  const present = new Set(seeders.map((s) => s.table));
  const done = new Set<string>();
  const out: TableSeeder[] = [];
  while (out.length < seeders.length) {
    const next = seeders.find((s) => !done.has(s.table) && (s.after ?? []).every((p) => done.has(p) || !present.has(p)));
    if (!next) throw new TypeError(`seed generators have a dependency cycle among ${[...present].filter((t) => !done.has(t)).join(', ')}`);
    done.add(next.table);
    out.push(next);
  }
  return out;
}
