import { INSTANCE_LEASE_TABLE } from '../ports/instance-lock.js';
import { MigrationError } from '../domain/errors.js';
import { isCopyBookkeeping } from '../ports/bulk-loader.js';
import type { ForeignKeyShape, SchemaSnapshot, TableShape, TypeClass } from '../ports/inspector.js';
import type { SourceTable, TableReader } from '../ports/table-reader.js';
import { converter, InvalidValue } from './convert.js';

/** This package's database (either engine), or the older Python daemon's SQLite file. */
export type SourceKind = 'ours' | 'legacy';

export interface PlanColumn {
  name: string;
  typeClass: TypeClass;
  nullable: boolean;
  /** The source column feeding this one; null when the source lacks it (the value is `fill`). */
  source: string | null;
  /** Read when `source` holds NULL or '': the older daemon's `<column>_epoch` (seconds). */
  fallbackSource: string | null;
  /** The column's default, used for a missing column and for NULL in a NOT NULL column. */
  fill: unknown;
}

/** How one table of the target is filled from the source. */
export interface TablePlan {
  table: string;
  /** The source table, or null when the source lacks it (the table stays empty). */
  source: string | null;
  columns: PlanColumn[];
  primaryKey: string[];
  foreignKeys: ForeignKeyShape[];
  /** Target columns the source lacks (filled with their default). */
  missingColumns: string[];
  /** Source columns the target has no place for. */
  ignoredColumns: string[];
}

export interface CopyPlan {
  kind: SourceKind;
  /** Target tables, parents before the tables that reference them. */
  tables: TablePlan[];
  /** Source tables without a counterpart (e.g. the legacy `notification_outbox`). */
  ignoredTables: string[];
}

/**
 * Tells this package's databases from the older daemon's by the content of
 * `schema_migrations`: ours records migration `name`s this build knows, the older
 * daemon's records `version`s. Refuses a source newer than this build.
 */
export async function detectSource(reader: TableReader, tables: SourceTable[], knownMigrations: string[]): Promise<SourceKind> {
  const migrations = tables.find((t) => t.name === 'schema_migrations');
  if (!migrations) throw new MigrationError(`${reader.location} is not a TeleClaude database (it has no schema_migrations table)`);
  if (migrations.columns.includes('version') && !migrations.columns.includes('name')) return 'legacy';
  const recorded: string[] = [];
  for await (const batch of reader.rows('schema_migrations', ['name'], 1000)) recorded.push(...batch.map((r) => String(r[0])));
  const unknown = recorded.filter((name) => !knownMigrations.includes(name));
  if (unknown.length > 0) {
    throw new MigrationError(`the source is newer than this build: it records migration(s) ${unknown.join(', ')}; upgrade teleclaude-persistence`);
  }
  return 'ours';
}

/** Parents first; a cycle (none in this schema) falls back to name order. */
export function dependencyOrder(tables: TableShape[]): TableShape[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const ordered: TableShape[] = [];
  const visit = (table: TableShape, path: Set<string>) => {
    if (done.has(table.name) || path.has(table.name)) return;
    path.add(table.name);
    for (const fk of table.foreignKeys) {
      const parent = byName.get(fk.references);
      if (parent && parent !== table) visit(parent, path);
    }
    done.add(table.name);
    ordered.push(table);
  };
  for (const table of tables) visit(table, new Set());
  return ordered;
}

function typeFill(typeClass: TypeClass, fillTime: Date): unknown {
  switch (typeClass) {
    case 'timestamp':
      return fillTime;
    case 'boolean':
      return false;
    case 'integer':
    case 'real':
      return 0;
    case 'json':
      return {};
    default:
      return '';
  }
}

/**
 * Target columns the older daemon names otherwise (besides its `<column>_json`): its
 * sessions key, and the tombstones' mtime (already integer nanoseconds as text).
 */
const LEGACY_NAMES: Record<string, string> = {
  'sessions.id': 'session_id',
  'mirror_tombstones.file_mtime_ns': 'file_mtime',
};

/**
 * Maps every target table onto the source. The older daemon's `<column>_json` names
 * feed `<column>`, its `session_id` feeds the sessions' `id` (so every reference to a
 * session, orphan checks included, meets the key it points at), its `<column>_epoch`
 * (seconds) stands in where `<column>` is empty; missing tables copy as empty, missing
 * columns as their default. A primary-key column is never filled: a row without its key
 * is refused by the target and reported, not given a made-up one.
 */
export function planCopy(
  kind: SourceKind,
  target: SchemaSnapshot,
  targetDefaults: Map<string, Record<string, string | number | boolean>>,
  sourceTables: SourceTable[],
  fillTime: Date,
): CopyPlan {
  const sources = new Map(sourceTables.map((t) => [t.name, t]));
  const targetTables = target.tables.filter((t) => !isCopyBookkeeping(t.name));
  const tables = dependencyOrder(targetTables).map((shape): TablePlan => {
    const source = sources.get(shape.name);
    const available = new Set(source?.columns ?? []);
    const defaults = targetDefaults.get(shape.name) ?? {};
    const used = new Set<string>();
    const columns = shape.columns.map((column): PlanColumn => {
      const renamed = LEGACY_NAMES[`${shape.name}.${column.name}`];
      const candidates = kind === 'legacy' ? [column.name, ...(renamed ? [renamed] : []), `${column.name}_json`] : [column.name];
      const from = candidates.find((c) => available.has(c)) ?? null;
      const epoch = `${column.name}_epoch`;
      const fallbackSource = kind === 'legacy' && column.typeClass === 'timestamp' && available.has(epoch) ? epoch : null;
      if (from) used.add(from);
      if (fallbackSource) used.add(fallbackSource);
      const key = shape.primaryKey.includes(column.name);
      let fill: unknown = column.nullable || key ? null : typeFill(column.typeClass, fillTime);
      if (column.name in defaults && !key) {
        const counts = { converted: 0, coerced: 0, filled: 0, invalid: 0 };
        const value = converter(column.typeClass, counts, { typed: false, legacy: false })(defaults[column.name]);
        if (value !== null && !(value instanceof InvalidValue)) fill = value;
      }
      return { name: column.name, typeClass: column.typeClass, nullable: column.nullable, source: from, fallbackSource, fill };
    });
    return {
      table: shape.name,
      source: source ? source.name : null,
      columns,
      primaryKey: shape.primaryKey,
      foreignKeys: shape.foreignKeys,
      missingColumns: source ? columns.filter((c) => c.source === null && c.fallbackSource === null).map((c) => c.name) : [],
      ignoredColumns: (source?.columns ?? []).filter((c) => !used.has(c)),
    };
  });
  const wanted = new Set(targetTables.map((t) => t.name));
  const ignoredTables = sourceTables.map((t) => t.name).filter((name) => !wanted.has(name) && name !== 'schema_migrations' && name !== INSTANCE_LEASE_TABLE && !isCopyBookkeeping(name));
  return { kind, tables, ignoredTables };
}
