import { databaseConfigSchema } from '../config/config-schema.js';
import { createStore } from '../container.js';
import type { ForeignKeyShape, IndexShape, SchemaSnapshot, TableShape } from '../ports/inspector.js';

/**
 * The schema this build expects after the migrations up to `lastApplied` (none when
 * null): the snapshot of a freshly migrated in-memory SQLite database. The schema parity
 * test keeps both engines' snapshots equal, so it is the expectation for either engine.
 */
export async function expectedSchema(lastApplied: string | null): Promise<SchemaSnapshot> {
  if (lastApplied === null) return { tables: [] };
  const reference = createStore(databaseConfigSchema.parse({ engine: 'sqlite', sqlite: { path: ':memory:' } }));
  try {
    await reference.migrator.up({ to: lastApplied });
    return await reference.inspector.schema();
  } finally {
    await reference.close();
  }
}

/** Every difference of `actual` from `expected`, one readable line each, e.g. "missing index idx_x on sessions". */
export function diffSchemas(expected: SchemaSnapshot, actual: SchemaSnapshot): string[] {
  const problems: string[] = [];
  const actualTables = new Map(actual.tables.map((t) => [t.name, t]));
  for (const want of expected.tables) {
    const have = actualTables.get(want.name);
    if (!have) problems.push(`missing table ${want.name}`);
    else problems.push(...diffTable(want, have));
  }
  const expectedNames = new Set(expected.tables.map((t) => t.name));
  for (const t of actual.tables) if (!expectedNames.has(t.name)) problems.push(`unexpected table ${t.name}`);
  return problems;
}

function diffTable(want: TableShape, have: TableShape): string[] {
  const problems: string[] = [];
  const t = want.name;
  const haveColumns = new Map(have.columns.map((c) => [c.name, c]));
  for (const c of want.columns) {
    const h = haveColumns.get(c.name);
    if (!h) problems.push(`missing column ${t}.${c.name}`);
    else {
      if (h.typeClass !== c.typeClass) problems.push(`column ${t}.${c.name} is ${h.typeClass}, expected ${c.typeClass}`);
      if (h.nullable !== c.nullable) problems.push(`column ${t}.${c.name} is ${h.nullable ? 'nullable' : 'NOT NULL'}, expected ${c.nullable ? 'nullable' : 'NOT NULL'}`);
    }
  }
  for (const c of have.columns) if (!want.columns.some((w) => w.name === c.name)) problems.push(`unexpected column ${t}.${c.name}`);
  if (want.primaryKey.join() !== have.primaryKey.join()) {
    problems.push(`primary key of ${t} is (${have.primaryKey.join(', ')}), expected (${want.primaryKey.join(', ')})`);
  }

  const haveIndexes = new Map(have.indexes.map((i) => [i.name, i]));
  for (const i of want.indexes) {
    const h = haveIndexes.get(i.name);
    if (!h) problems.push(`missing ${describeIndex(i)} on ${t}`);
    else if (describeIndex(h) !== describeIndex(i) || h.columns.join() !== i.columns.join()) {
      problems.push(`${describeIndex(h)} on ${t} differs: expected ${describeIndex(i)}`);
    }
  }
  for (const i of have.indexes) if (!want.indexes.some((w) => w.name === i.name)) problems.push(`unexpected ${describeIndex(i)} on ${t}`);

  const key = (fk: ForeignKeyShape) => `${fk.columns.join(', ')}) -> ${fk.references}(${fk.referencedColumns.join(', ')}) ON DELETE ${fk.onDelete}`;
  const haveFks = new Set(have.foreignKeys.map(key));
  const wantFks = new Set(want.foreignKeys.map(key));
  for (const k of wantFks) if (!haveFks.has(k)) problems.push(`missing foreign key ${t}(${k}`);
  for (const k of haveFks) if (!wantFks.has(k)) problems.push(`unexpected foreign key ${t}(${k}`);
  return problems;
}

function describeIndex(i: IndexShape): string {
  const kind = i.name.startsWith('unique(') ? 'unique constraint' : `${i.unique ? 'unique ' : ''}${i.partial ? 'partial ' : ''}index`;
  return i.name.startsWith('unique(') ? `${kind} ${i.name}` : `${kind} ${i.name} (${i.columns.join(', ')})`;
}
