import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteDatabase, openSqlite } from '../../src/adapters/sqlite/sqlite-database.js';
import { sqliteSchema } from '../../src/adapters/sqlite/sqlite-inspector.js';
import { createSqliteMigrator } from '../../src/adapters/sqlite/sqlite-migrator.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { postgresMigrations } from '../../src/migrations/postgres/index.js';
import { diffSchemas } from '../../src/migrations/schema-diff.js';
import { sqliteMigrations } from '../../src/migrations/sqlite/index.js';
import type { SchemaSnapshot } from '../../src/ports/inspector.js';
import { createPgDatabase } from '../support/databases.js';

describe('schema parity between the SQLite and PostgreSQL migration sets', () => {
  let pgDb: Awaited<ReturnType<typeof createPgDatabase>>;
  let pgSchema: SchemaSnapshot;
  let liteSchema: SchemaSnapshot;

  beforeAll(async () => {
    pgDb = await createPgDatabase('tc_parity');
    const pg = new PostgresStore({ url: pgDb.url }, 'parity');
    await pg.migrator.up();
    pgSchema = await pg.inspector.schema();
    await pg.close();
    const lite = new SqliteStore({ path: ':memory:' });
    await lite.migrator.up();
    liteSchema = await lite.inspector.schema();
    await lite.close();
  });
  afterAll(() => pgDb?.drop());

  it('both sets have the same migration names in the same order', () => {
    expect(sqliteMigrations.map((m) => m.name)).toEqual(postgresMigrations.map((m) => m.name));
  });

  it('migrated schemas are equal: tables, columns, nullability, type class, keys, foreign keys, indexes', () => {
    expect(liteSchema.tables.length).toBeGreaterThanOrEqual(3);
    expect(diffSchemas(liteSchema, pgSchema)).toEqual([]);
  });

  it('no column has an unclassified type on either engine', () => {
    for (const schema of [liteSchema, pgSchema]) {
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
