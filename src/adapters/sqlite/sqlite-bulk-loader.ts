import { COPY_JOURNAL_TABLE, COPY_REJECT_FILE_TABLE, JsonText, type BulkLoader, type InterruptedCopy, type LoadOptions, type Refusal } from '../../ports/bulk-loader.js';
import type { TypeClass } from '../../ports/inspector.js';
import { quoteIdent, type SqliteDatabase, type SqliteDb } from './sqlite-database.js';
import { sqliteSchema } from './sqlite-inspector.js';

function encoder(typeClass: TypeClass): (value: unknown) => unknown {
  switch (typeClass) {
    case 'timestamp':
      return (v) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : typeof v === 'number' ? v : new Date(v as string).getTime());
    case 'boolean':
      return (v) => (v === null || v === undefined ? null : v ? 1 : 0);
    case 'json':
      // JSON text is stored as it is: the schema's CHECK (json_valid(...)) refuses malformed text.
      return (v) => (v === null || v === undefined ? null : v instanceof JsonText ? v.text : JSON.stringify(v));
    default:
      return (v) => (v === undefined ? null : v);
  }
}

const JOURNAL = quoteIdent(COPY_JOURNAL_TABLE);
const REJECT_FILE = quoteIdent(COPY_REJECT_FILE_TABLE);

function journalHasSource(db: SqliteDb): boolean {
  return db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get(COPY_JOURNAL_TABLE, 'source') !== undefined;
}

/** Result codes about the row itself; anything else (I/O, a full disk, a lock) is about the database. */
const ROW_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/**
 * Whether `error`, thrown by one INSERT, refuses that row: a constraint, a type mismatch, a
 * value too big, or a value the driver cannot bind (TypeError/RangeError).
 */
export function sqliteRefusal(error: unknown, columns: string[]): Refusal | null {
  const code = (error as { code?: unknown }).code;
  const rowError = typeof code === 'string' ? ROW_CODES.test(code) : error instanceof TypeError || error instanceof RangeError;
  if (!rowError) return null;
  const reason = (error as Error).message;
  // "NOT NULL constraint failed: t.c", "UNIQUE constraint failed: t.a, t.b", "CHECK constraint failed: c <> ''"
  const named = /constraint failed: (?:\w+\.)?(\w+)/.exec(reason)?.[1];
  const column = named && columns.includes(named) ? named : columns.find((c) => new RegExp(`\\b${c}\\b`).test(reason.split('failed:')[1] ?? ''));
  return column ? { reason, column } : { reason };
}

export class SqliteBulkLoader implements BulkLoader {
  private types: Map<string, Map<string, TypeClass>> | null = null;

  constructor(private readonly database: SqliteDatabase) {}

  async load(
    table: string,
    columns: string[],
    batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
    options: LoadOptions = {},
  ): Promise<number> {
    const encoders = await this.encoders(table, columns);
    const sql = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    return this.database.transaction(async (tx) => {
      let written = 0;
      if (options.replace) await tx.run((db) => db.prepare(`DELETE FROM ${quoteIdent(table)}`).run());
      const insert = tx.prepare(sql);
      const params = new Array<unknown>(columns.length);
      const onRefused = options.onRefused;
      for await (const batch of batches) {
        await tx.run(() => {
          if (!onRefused) {
            for (const row of batch) {
              for (let i = 0; i < encoders.length; i++) params[i] = encoders[i]!(row[i]);
              insert.run(params);
            }
            written += batch.length;
            return;
          }
          // A failing INSERT undoes only itself (and its triggers): the transaction goes on.
          for (const row of batch) {
            try {
              for (let i = 0; i < encoders.length; i++) params[i] = encoders[i]!(row[i]);
              insert.run(params);
              written++;
            } catch (error) {
              const refusal = sqliteRefusal(error, columns);
              if (!refusal) throw error;
              onRefused(row, refusal);
            }
          }
        });
        options.onBatch?.(written);
      }
      if (options.journal) {
        await tx.run((db) => {
          db.exec(`CREATE TABLE IF NOT EXISTS ${JOURNAL} (table_name TEXT PRIMARY KEY NOT NULL, row_count INTEGER NOT NULL, source TEXT)`);
          // A journal left by an earlier version has no source column.
          if (!journalHasSource(db)) db.exec(`ALTER TABLE ${JOURNAL} ADD COLUMN source TEXT`);
          db.prepare(
            `INSERT INTO ${JOURNAL} (table_name, row_count, source) VALUES (?, ?, ?)
             ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count, source = excluded.source`,
          ).run(table, written, options.source ?? null);
        });
      }
      return written;
    });
  }

  async clear(tables: string[]): Promise<void> {
    await this.database.transaction((tx) =>
      tx.run((db) => {
        // Checked at COMMIT, so the listed tables may be emptied in any order.
        db.pragma('defer_foreign_keys = ON');
        for (const table of tables) db.prepare(`DELETE FROM ${quoteIdent(table)}`).run();
      }),
    );
  }

  async resetIdentity(table: string, column: string): Promise<void> {
    // AUTOINCREMENT keeps its counter in sqlite_sequence; it must not fall behind max(id).
    await this.database.run((db) => {
      const { max } = db.prepare(`SELECT max(${quoteIdent(column)}) AS max FROM ${quoteIdent(table)}`).get() as { max: number | null };
      if (max === null) return;
      const updated = db.prepare('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?').run(max, table).changes;
      if (updated === 0) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, max);
    });
  }

  async journal(): Promise<Map<string, number>> {
    return this.database.run((db) => {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(COPY_JOURNAL_TABLE)) return new Map();
      const rows = db.prepare(`SELECT table_name, row_count FROM ${JOURNAL}`).all() as { table_name: string; row_count: number }[];
      return new Map(rows.map((r) => [r.table_name, r.row_count]));
    });
  }

  async journalSources(): Promise<Set<string>> {
    return this.database.run((db) => {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(COPY_JOURNAL_TABLE) || !journalHasSource(db)) return new Set();
      const rows = db.prepare(`SELECT DISTINCT source FROM ${JOURNAL} WHERE source IS NOT NULL`).all() as { source: string }[];
      return new Set(rows.map((r) => r.source));
    });
  }

  async dropJournal(): Promise<void> {
    await this.database.run((db) => db.exec(`DROP TABLE IF EXISTS ${JOURNAL}; DROP TABLE IF EXISTS ${REJECT_FILE}`));
  }

  async recordRejectFile(path: string): Promise<void> {
    await this.database.transaction((tx) =>
      tx.run((db) => {
        db.exec(`CREATE TABLE IF NOT EXISTS ${REJECT_FILE} (path TEXT NOT NULL); DELETE FROM ${REJECT_FILE}`);
        db.prepare(`INSERT INTO ${REJECT_FILE} (path) VALUES (?)`).run(path);
      }),
    );
  }

  async recordedRejectFile(): Promise<string | null> {
    return this.database.run((db) => {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(COPY_REJECT_FILE_TABLE)) return null;
      return (db.prepare(`SELECT path FROM ${REJECT_FILE}`).get() as { path: string } | undefined)?.path ?? null;
    });
  }

  async interruptedCopy(): Promise<InterruptedCopy | null> {
    const present = await this.database.run((db) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(COPY_JOURNAL_TABLE));
    if (!present) return null;
    return { tables: (await this.journal()).size, sources: [...(await this.journalSources())], suspendedKeys: 0 };
  }

  /** SQLite checks each row in-process against the parent's index, at little cost: the keys stay. */
  async suspendForeignKeys(): Promise<void> {}

  async restoreForeignKeys(): Promise<number> {
    return 0;
  }

  private async encoders(table: string, columns: string[]): Promise<((value: unknown) => unknown)[]> {
    if (!this.types) {
      const schema = await this.database.run((db) => sqliteSchema(db));
      this.types = new Map(schema.tables.map((t) => [t.name, new Map(t.columns.map((c) => [c.name, c.typeClass]))]));
    }
    const types = this.types.get(table);
    if (!types) throw new TypeError(`unknown table ${table}`);
    return columns.map((c) => {
      const type = types.get(c);
      if (!type) throw new TypeError(`unknown column ${table}.${c}`);
      return encoder(type);
    });
  }
}
