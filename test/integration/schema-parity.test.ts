import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteDatabase, openSqlite } from '../../src/adapters/sqlite/sqlite-database.js';
import { sqliteSchema } from '../../src/adapters/sqlite/sqlite-inspector.js';
import { createSqliteMigrator } from '../../src/adapters/sqlite/sqlite-migrator.js';
import { diffSchemas } from '../../src/migrations/schema-diff.js';
import { sqliteMigrations } from '../../src/migrations/sqlite/index.js';
import type { SchemaSnapshot } from '../../src/ports/inspector.js';
import { enginePairs, harnesses, type TestDatabase } from '../support/harness/index.js';
import { storeFor } from '../support/open-options.js';

/** Every registered engine, migrated on a database of its own: its migration names and introspected schema. */
const migrated = new Map<string, { names: string[]; schema: SchemaSnapshot }>();
const made: TestDatabase[] = [];

beforeAll(async () => {
  for (const harness of harnesses()) {
    const db = await harness.createDatabase('tc_parity');
    made.push(db);
    const store = storeFor(db.spec);
    try {
      await store.migrator.up();
      migrated.set(harness.name, { names: store.migrator.names(), schema: await store.inspector.schema() });
    } finally {
      await store.close();
    }
  }
});
afterAll(async () => {
  for (const db of made.splice(0)) await db.remove();
});

describe.each(enginePairs().map(([a, b]) => [a.name, b.name]))('schema parity between the %s and %s migration sets', (a, b) => {
  it('both sets have the same migration names in the same order', () => {
    expect(migrated.get(a)!.names.length).toBeGreaterThan(0);
    expect(migrated.get(a)!.names).toEqual(migrated.get(b)!.names);
  });

  it('migrated schemas are equal: tables, columns, nullability, type class, keys, foreign keys, indexes', () => {
    expect(migrated.get(a)!.schema.tables.length).toBeGreaterThanOrEqual(3);
    expect(diffSchemas(migrated.get(a)!.schema, migrated.get(b)!.schema)).toEqual([]);
  });
});

describe('schema parity checks', () => {
  let pgSchema: SchemaSnapshot;
  let liteSchema: SchemaSnapshot;
  beforeAll(() => {
    liteSchema = migrated.get('sqlite')!.schema;
    pgSchema = migrated.get('postgresql')!.schema;
  });

  it('no column has an unclassified type on any engine', () => {
    for (const { schema } of migrated.values()) {
      for (const t of schema.tables) for (const c of t.columns) expect(`${t.name}.${c.name}:${c.typeClass}`).not.toMatch(/:other$/);
    }
  });

  it('removing a column from one migration set makes the comparison fail, naming the column', async () => {
    const broken = sqliteMigrations.map((m) =>
      typeof m.up === 'string' && m.up.includes('terminal_size TEXT')
        ? { ...m, up: m.up.replace(/\n\s*terminal_size TEXT[^\n]*\n/, '\n') }
        : m,
    );
    const database = new SqliteDatabase(openSqlite({ path: ':memory:' }));
    await createSqliteMigrator(database, broken).up();
    const schema = await database.run((db) => sqliteSchema(db));
    database.close();
    expect(diffSchemas(schema, pgSchema)).toContain('unexpected column sessions.terminal_size');
    expect(diffSchemas(pgSchema, schema)).toContain('missing column sessions.terminal_size');
  });

  it('dropping an index or changing nullability is reported by name', () => {
    const sessions = liteSchema.tables.find((t) => t.name === 'sessions')!;
    const altered: SchemaSnapshot = {
      tables: liteSchema.tables.map((t) =>
        t === sessions
          ? {
              ...t,
              indexes: t.indexes.filter((i) => i.name !== 'idx_sessions_closed_at'),
              columns: t.columns.map((c) => (c.name === 'title' ? { ...c, nullable: true } : c)),
            }
          : t,
      ),
    };
    expect(diffSchemas(pgSchema, altered)).toEqual([
      'column sessions.title is nullable, expected NOT NULL',
      'missing index idx_sessions_closed_at (closed_at) on sessions',
    ]);
  });
});
