import type { BulkLoader } from '../../ports/bulk-loader.js';
import type { TypeClass } from '../../ports/inspector.js';
import { quoteIdent, type PostgresDatabase } from './postgres-database.js';
import { postgresSchema } from './postgres-inspector.js';

/** PostgreSQL accepts at most 65535 bind parameters per statement. */
const MAX_PARAMS = 65_535;

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

export class PostgresBulkLoader implements BulkLoader {
  private types: Map<string, Map<string, TypeClass>> | null = null;

  constructor(private readonly database: PostgresDatabase) {}

  async load(
    table: string,
    columns: string[],
    batches: Iterable<unknown[][]> | AsyncIterable<unknown[][]>,
    options: { replace?: boolean; onBatch?: (rowsSoFar: number) => void } = {},
  ): Promise<number> {
    const encoders = await this.encoders(table, columns);
    const head = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES `;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    return this.database.transaction(async (tx) => {
      let written = 0;
      if (options.replace) await tx.query(`DELETE FROM ${quoteIdent(table)}`);
      for await (const batch of batches) {
        for (let start = 0; start < batch.length; start += perStatement) {
          const rows = batch.slice(start, start + perStatement);
          const params: unknown[] = [];
          const tuples = rows.map((row) => {
            const slots = encoders.map((encode, i) => {
              params.push(encode(row[i]));
              return `$${params.length}`;
            });
            return `(${slots.join(', ')})`;
          });
          await tx.query(head + tuples.join(', '), params);
        }
        written += batch.length;
        options.onBatch?.(written);
      }
      return written;
    });
  }

  async resetIdentity(table: string, column: string): Promise<void> {
    await this.database.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quoteIdent(column)}) FROM ${quoteIdent(table)}), 0) + 1, false)`,
      [table, column],
    );
  }

  private async encoders(table: string, columns: string[]): Promise<((value: unknown) => unknown)[]> {
    if (!this.types) {
      const schema = await postgresSchema(this.database);
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
