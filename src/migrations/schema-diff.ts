import type { ForeignKeyShape, IndexShape, SchemaSnapshot, TableShape } from '../ports/inspector.js';

/**
 * Differences between two schema snapshots, one readable line each ("missing column
 * sessions.title", "missing index idx_sessions_closed_at on sessions (closed_at)").
 * [] when they are equal. Column order does not matter; everything else does.
 */
export function diffSchemas(expected: SchemaSnapshot, actual: SchemaSnapshot): string[] {
  const problems: string[] = [];
  const actualTables = new Map(actual.tables.map((t) => [t.name, t]));
  const expectedNames = new Set(expected.tables.map((t) => t.name));
  for (const want of expected.tables) {
    const have = actualTables.get(want.name);
    if (!have) problems.push(`missing table ${want.name}`);
    else problems.push(...diffTable(want, have));
  }
  for (const t of actual.tables) if (!expectedNames.has(t.name)) problems.push(`unexpected table ${t.name}`);
  return problems;
}

function diffTable(want: TableShape, have: TableShape): string[] {
  const problems: string[] = [];
  const t = want.name;
  const haveColumns = new Map(have.columns.map((c) => [c.name, c]));
  for (const c of want.columns) {
    const h = haveColumns.get(c.name);
    if (!h) {
      problems.push(`missing column ${t}.${c.name}`);
      continue;
    }
    if (h.typeClass !== c.typeClass) problems.push(`column ${t}.${c.name} is ${h.typeClass}, expected ${c.typeClass}`);
    if (h.nullable !== c.nullable) problems.push(`column ${t}.${c.name} is ${h.nullable ? 'nullable' : 'NOT NULL'}, expected ${c.nullable ? 'nullable' : 'NOT NULL'}`);
  }
  const wantColumns = new Set(want.columns.map((c) => c.name));
  for (const c of have.columns) if (!wantColumns.has(c.name)) problems.push(`unexpected column ${t}.${c.name}`);

  if (want.primaryKey.join() !== have.primaryKey.join()) {
    problems.push(`primary key of ${t} is (${have.primaryKey.join(', ')}), expected (${want.primaryKey.join(', ')})`);
  }
  problems.push(...diffSet(t, 'foreign key', want.foreignKeys, have.foreignKeys, describeFk));
  problems.push(...diffSet(t, 'index', want.indexes, have.indexes, describeIndex));
  return problems;
}

function diffSet<T>(table: string, kind: string, want: T[], have: T[], describe: (x: T) => string): string[] {
  const wanted = new Set(want.map(describe));
  const had = new Set(have.map(describe));
  return [
    ...[...wanted].filter((d) => !had.has(d)).map((d) => `missing ${kind} ${d} on ${table}`),
    ...[...had].filter((d) => !wanted.has(d)).map((d) => `unexpected ${kind} ${d} on ${table}`),
  ];
}

function describeFk(fk: ForeignKeyShape): string {
  return `(${fk.columns.join(', ')}) -> ${fk.references}(${fk.referencedColumns.join(', ')}) ON DELETE ${fk.onDelete}`;
}

function describeIndex(index: IndexShape): string {
  const flags = [index.unique ? 'unique' : '', index.partial ? 'partial' : ''].filter(Boolean).join(' ');
  return `${index.name} (${index.columns.join(', ')})${flags ? ` ${flags}` : ''}`;
}
