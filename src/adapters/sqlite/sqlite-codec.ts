import { columnName, type FieldKind, type FieldKinds } from '../../domain/fields.js';

/**
 * SQLite storage of each field kind: timestamps are INTEGER epoch milliseconds (UTC),
 * booleans INTEGER 0/1, JSON is TEXT.
 */
function encode(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'time':
      return (value as Date).getTime();
    case 'bool':
      return value ? 1 : 0;
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

function decode(kind: FieldKind, value: unknown): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'time':
      return new Date(value as number);
    case 'bool':
      return value === 1;
    case 'json':
      return JSON.parse(value as string);
    default:
      return value;
  }
}

/** Maps one entity to and from its SQLite row. */
export class SqliteCodec<T> {
  /** `col_a, col_b, ...` in field order. */
  readonly columnList: string;
  private readonly entries: [field: string, column: string, kind: FieldKind][];

  constructor(readonly fields: FieldKinds<T>) {
    this.entries = Object.entries(fields as Record<string, FieldKind>).map(([field, kind]) => [field, columnName(field), kind]);
    this.columnList = this.entries.map(([, column]) => column).join(', ');
  }

  fromRow(row: Record<string, unknown>): T {
    const entity: Record<string, unknown> = {};
    for (const [field, column, kind] of this.entries) entity[field] = decode(kind, row[column]);
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
