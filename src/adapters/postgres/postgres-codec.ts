import { columnName, type FieldKind, type FieldKinds } from '../../domain/fields.js';

/**
 * PostgreSQL parameters of each field kind. Timestamps and booleans travel natively;
 * JSON is sent as text, because pg would turn a JS array into a PostgreSQL array.
 */
function encode(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return kind === 'json' ? JSON.stringify(value) : value;
}

function compileFromRow<T>(entries: string[][]): (row: Record<string, unknown>) => T {
  const body = entries.map(([field, column]) => `${JSON.stringify(field)}: row[${JSON.stringify(column)}]`);
  return new Function('row', `return {\n${body.join(',\n')}\n};`) as (row: Record<string, unknown>) => T;
}

function compileFromArray<T>(entries: string[][]): (row: unknown[]) => T {
  const body = entries.map(([field], i) => `${JSON.stringify(field)}: row[${i}]`);
  return new Function('row', `return {\n${body.join(',\n')}\n};`) as (row: unknown[]) => T;
}

/** Maps one entity to and from its PostgreSQL row (the pool parses timestamptz, jsonb and int8). */
export class PostgresCodec<T> {
  /** `col_a, col_b, ...` in field order. */
  readonly columnList: string;
  private readonly entries: [field: string, column: string, kind: FieldKind][];

  constructor(readonly fields: FieldKinds<T>) {
    this.entries = Object.entries(fields as Record<string, FieldKind>).map(([field, kind]) => [field, columnName(field), kind]);
    this.columnList = this.entries.map(([, column]) => column).join(', ');
    this.fromRow = compileFromRow(this.entries);
    this.fromArray = compileFromArray(this.entries);
  }

  /** As `fromRow`, for a row read in array mode (`queryArrays`) with the columns of `columnList`. */
  readonly fromArray: (row: unknown[]) => T;

  /**
   * Row -> entity, compiled once per codec into a single object literal (one hidden
   * class, faster than adding fields one by one). Names come from the domain's static field lists.
   */
  readonly fromRow: (row: Record<string, unknown>) => T;

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
