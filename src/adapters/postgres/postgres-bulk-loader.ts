import { ForeignKeyError } from '../../domain/errors.js';
import type { BulkLoader } from '../../ports/bulk-loader.js';
import type { TypeClass } from '../../ports/inspector.js';
import { quoteIdent, type PostgresDatabase } from './postgres-database.js';
import { postgresSchema } from './postgres-inspector.js';

function encoder(typeClass: TypeClass): (value: unknown) => unknown {
  switch (typeClass) {
    case 'json':
      // As text: pg would turn a JS array into a PostgreSQL array.
      return (v) => (v === null || v === undefined ? null : JSON.stringify(v));
    case 'timestamp':
      return (v) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v as string | number));
    default:
      return (v) => (v === undefined ? null : v);
  }
}

/**
 * Bulk writes as `INSERT ... SELECT * FROM unnest($1::type[], $2::type[], ...)`: one array
 * parameter per column, so a batch of any size is one short statement that PostgreSQL
 * parses once, instead of a VALUES list with a bind parameter per cell.
 */
export class PostgresBulkLoader implements BulkLoader {
  private types: Map<string, Map<string, { typeClass: TypeClass; sqlType: string }>> | null = null;

  constructor(private readonly database: PostgresDatabase) {}

  async load(
    table: string,
    columns: string[],
    batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
    options: { replace?: boolean; onBatch?: (rowsSoFar: number) => void } = {},
  ): Promise<number> {
    const types = await this.columnTypes(table, columns);
    const encoders = types.map((t) => encoder(t.typeClass));
    const arrays = types.map((t, i) => `$${i + 1}::${t.sqlType}[]`).join(', ');
    const sql = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) SELECT * FROM unnest(${arrays})`;
    return this.database.transaction(async (tx) => {
      let written = 0;
      if (options.replace) await tx.query(`DELETE FROM ${quoteIdent(table)}`);
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        const params = encoders.map((encode, i) => batch.map((row) => encode(row[i])));
        await tx.query(sql, params);
        written += batch.length;
        options.onBatch?.(written);
      }
      return written;
    });
  }

  async clear(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    // One TRUNCATE: a DELETE would check every deleted parent row against its (empty but
    // not yet vacuumed) child tables, which is quadratic for large seeds.
    try {
      await this.database.query(`TRUNCATE ${tables.map(quoteIdent).join(', ')}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '0A000') throw error;
      throw new ForeignKeyError(`cannot empty ${tables.join(', ')}: ${(error as Error).message}`, { cause: error });
    }
  }

  async resetIdentity(table: string, column: string): Promise<void> {
    await this.database.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quoteIdent(column)}) FROM ${quoteIdent(table)}), 0) + 1, false)`,
      [table, column],
    );
  }

  private async columnTypes(table: string, columns: string[]): Promise<{ typeClass: TypeClass; sqlType: string }[]> {
    if (!this.types) {
      const schema = await postgresSchema(this.database);
      const { rows } = await this.database.query<{ table_name: string; name: string; type: string }>(
        `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, NULL) AS type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`,
      );
      const sqlTypes = new Map(rows.map((r) => [`${r.table_name}.${r.name}`, r.type]));
      this.types = new Map(
        schema.tables.map((t) => [
          t.name,
          new Map(t.columns.map((c) => [c.name, { typeClass: c.typeClass, sqlType: sqlTypes.get(`${t.name}.${c.name}`) ?? 'text' }])),
        ]),
      );
    }
    const types = this.types.get(table);
    if (!types) throw new TypeError(`unknown table ${table}`);
    return columns.map((c) => {
      const type = types.get(c);
      if (!type) throw new TypeError(`unknown column ${table}.${c}`);
      return type;
    });
  }
}
