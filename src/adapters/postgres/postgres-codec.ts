import { columnName, type FieldKind, type FieldKinds } from '../../domain/fields.js';

/**
 * PostgreSQL parameters of each field kind. Timestamps and booleans travel natively;
 * JSON is sent as text, because pg would turn a JS array into a PostgreSQL array.
 */
function encode(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return kind === 'json' ? JSON.stringify(value) : value;
}

/** Maps one entity to and from its PostgreSQL row (the pool parses timestamptz, jsonb and int8). */
export class PostgresCodec<T> {
  /** `col_a, col_b, ...` in field order. */
  readonly columnList: string;
  private readonly entries: [field: string, column: string, kind: FieldKind][];

  constructor(readonly fields: FieldKinds<T>) {
    this.entries = Object.entries(fields as Record<string, FieldKind>).map(([field, kind]) => [field, columnName(field), kind]);
    this.columnList = this.entries.map(([, column]) => column).join(', ');
  }

  fromRow(row: Record<string, unknown>): T {
    const entity: Record<string, unknown> = {};
    for (const [field, column] of this.entries) entity[field] = row[column];
    return entity as T;
  }

  /** The parameter value of `field`. */
  param<K extends keyof T & string>(field: K, value: T[K] | null | undefined): unknown {
    return encode((this.fields as Record<string, FieldKind>)[field]!, value);
  }

  /** Columns and parameter values of every field present in `values`, in field order. */
  toRow(values: Partial<T>): { columns: string[]; params: unknown[] } {
    const columns: string[] = [];
    const params: unknown[] = [];
    for (const [field, column, kind] of this.entries) {
      const value = (values as Record<string, unknown>)[field];
      if (value === undefined) continue;
      columns.push(column);
      params.push(encode(kind, value));
    }
    return { columns, params };
  }
}
