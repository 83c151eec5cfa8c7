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

function decodeExpression(kind: FieldKind, access: string): string {
  switch (kind) {
    case 'time':
      return `(${access} === null ? null : new Date(${access}))`;
    case 'bool':
      return `(${access} === null ? null : ${access} === 1)`;
    case 'json':
      // The empty object and array (most metadata and payloads) without the parser: the same fresh value.
      return `(${access} === null ? null : ${access} === '{}' ? {} : ${access} === '[]' ? [] : JSON.parse(${access}))`;
    default:
      return `(${access} === undefined ? null : ${access})`;
  }
}

/**
 * Row -> entity, compiled once per codec into a single object literal: an entity built in
 * one literal gets one hidden class, several times faster on hot paths than adding fields
 * one by one. Field names come from the domain's static field lists.
 */
function compileFromArray<T>(entries: [string, string, FieldKind][]): (row: unknown[]) => T {
  const body = entries.map(([field, , kind], i) => `${JSON.stringify(field)}: ${decodeExpression(kind, `row[${i}]`)}`);
  return new Function('row', `return {\n${body.join(',\n')}\n};`) as (row: unknown[]) => T;
}

/**
 * A cache of SQL texts by the shape of a call (which optional filters or fields it has):
 * each text is built once, and the same string object then finds its prepared statement
 * without being rebuilt or hashed again.
 */
export function sqlByShape<K>(): (shape: K, build: () => string) => string {
  const texts = new Map<K, string>();
  return (shape, build) => {
    let sql = texts.get(shape);
    if (sql === undefined) {
      sql = build();
      texts.set(shape, sql);
    }
    return sql;
  };
}

/** Maps one entity to and from its SQLite row. */
export class SqliteCodec<T> {
  /** `col_a, col_b, ...` in field order. */
  readonly columnList: string;
  /** `?, ?, ...`, one per column of `columnList`. */
  readonly placeholders: string;
  private readonly entries: [field: string, column: string, kind: FieldKind][];
  /** Field name -> its index in `entries` (its bit in a shape). */
  private readonly index: Map<string, number>;
  /** Bit of field i in a shape: 2 ** i. */
  private readonly bits: number[];
  /** Shape -> its fields in field order and their columns. */
  private readonly shapes = new Map<number, { entries: [string, string, FieldKind][]; columns: readonly string[] }>();

  constructor(readonly fields: FieldKinds<T>) {
    this.entries = Object.entries(fields as Record<string, FieldKind>).map(([field, kind]) => [field, columnName(field), kind]);
    if (this.entries.length > 53) throw new TypeError('a SqliteCodec holds at most 53 fields (its shapes are exact integers)');
    this.index = new Map(this.entries.map(([field], i) => [field, i]));
    this.bits = this.entries.map((_, i) => 2 ** i);
    this.columnList = this.entries.map(([, column]) => column).join(', ');
    this.placeholders = this.entries.map(() => '?').join(', ');
    this.fromArray = compileFromArray(this.entries);
  }

  /**
   * Array row (a statement of `SqliteExecutor.prepareRaw` selecting `columnList` first) ->
   * entity, reading the columns by index: better-sqlite3 then builds no object per row,
   * which is most of a wide row's cost.
   */
  readonly fromArray: (row: unknown[]) => T;

  /**
   * Columns and parameter values of every field present in `values`, in field order, and
   * `shape`: a number that is the same for the same set of fields (bit i for field i; at
   * most 53 fields), to find the statement made for that set without building its SQL.
   */
  toRow(values: Partial<T>): { columns: readonly string[]; params: unknown[]; shape: number } {
    // The shape from the keys `values` has (a patch sets a few of a wide entity's fields),
    // then the fields of that shape in field order, worked out once per shape.
    const record = values as Record<string, unknown>;
    let shape = 0;
    for (const key in record) {
      const i = this.index.get(key);
      if (i !== undefined && record[key] !== undefined) shape += this.bits[i]!;
    }
    let fields = this.shapes.get(shape);
    if (fields === undefined) {
      const entries = this.entries.filter((_, i) => Math.floor(shape / 2 ** i) % 2 === 1);
      fields = { entries, columns: Object.freeze(entries.map(([, column]) => column)) };
      this.shapes.set(shape, fields);
    }
    const { entries } = fields;
    const params: unknown[] = [];
    for (let i = 0; i < entries.length; i++) params.push(encode(entries[i]![2], record[entries[i]![0]]));
    // The columns are the shape's own (frozen) list: read them, do not change them.
    return { columns: fields.columns, params, shape };
  }

  /** The parameter values of every field, in field order (absent ones null): the parameters of an INSERT of `columnList`. */
  toParams(values: T): unknown[] {
    const params: unknown[] = new Array(this.entries.length);
    for (let i = 0; i < this.entries.length; i++) {
      const [field, , kind] = this.entries[i]!;
      params[i] = encode(kind, (values as Record<string, unknown>)[field]);
    }
    return params;
  }
}
