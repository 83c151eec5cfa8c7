import { columnName, type FieldKind, type FieldKinds } from '../../domain/fields.js';

/**
 * MariaDB storage of each field kind (migrations in ../../migrations/mariadb): timestamps
 * are BIGINT epoch milliseconds (UTC), booleans TINYINT 0/1, JSON is LONGTEXT.
 */
export function encodeValue(kind: FieldKind, value: unknown): unknown {
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

/*
 * The driver may give BIGINT as a number, a string (past 2^53 with big-number support) or
 * a bigint, and TINYINT as a number: every integer-like kind goes through Number().
 */
function decodeExpression(kind: FieldKind, access: string): string {
  switch (kind) {
    case 'time':
      return `(${access} == null ? null : new Date(Number(${access})))`;
    case 'bool':
      return `(${access} == null ? null : Number(${access}) === 1)`;
    case 'json':
      // The empty object and array (most stored metadata) without a JSON.parse call.
      return `(${access} == null ? null : ${access} === '{}' ? {} : ${access} === '[]' ? [] : JSON.parse(${access}))`;
    case 'int':
    case 'real':
      return `(${access} == null ? null : Number(${access}))`;
    default:
      return `(${access} === undefined ? null : ${access})`;
  }
}

/** One stored value of `kind` as the entity holds it. */
export function decodeValue(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'time':
      return new Date(Number(value));
    case 'bool':
      return Number(value) === 1;
    case 'json':
      return JSON.parse(value as string);
    case 'int':
    case 'real':
      return Number(value);
    default:
      return value;
  }
}

function compileFromRow<T>(entries: [string, string, FieldKind][]): (row: Record<string, unknown>) => T {
  const body = entries.map(([field, column, kind]) => `${JSON.stringify(field)}: ${decodeExpression(kind, `row[${JSON.stringify(column)}]`)}`);
  return new Function('row', `return {\n${body.join(',\n')}\n};`) as (row: Record<string, unknown>) => T;
}

/** The same mapping from a row read as an array in `columnList` order. */
function compileFromArray<T>(entries: [string, string, FieldKind][]): (row: unknown[]) => T {
  const body = entries.map(([field, , kind], i) => `${JSON.stringify(field)}: ${decodeExpression(kind, `row[${i}]`)}`);
  return new Function('row', `return {\n${body.join(',\n')}\n};`) as (row: unknown[]) => T;
}

/** Backquotes an identifier (column names such as `key` are reserved words in MariaDB). */
export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `?, ?, ...` for `n` parameters. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Maps one entity to and from its MariaDB row. */
export class MariadbCodec<T> {
  /** `` `col_a`, `col_b`, ... `` in field order (quoted: some column names are reserved words). */
  readonly columnList: string;
  /** The same columns, each prefixed by `alias.`. */
  qualified(alias: string): string {
    return this.entries.map(([, column]) => `${alias}.${ident(column)}`).join(', ');
  }
  private readonly entries: [field: string, column: string, kind: FieldKind][];

  constructor(readonly fields: FieldKinds<T>) {
    this.entries = Object.entries(fields as Record<string, FieldKind>).map(([field, kind]) => [field, columnName(field), kind]);
    this.columnList = this.entries.map(([, column]) => ident(column)).join(', ');
    this.fromRow = compileFromRow(this.entries);
    this.fromArray = compileFromArray(this.entries);
  }

  /** Row read as an array (`queryArrays`) of `columnList`, in its order -> entity; compiled like fromRow. */
  readonly fromArray: (row: unknown[]) => T;

  /**
   * Row -> entity, compiled once per codec into a single object literal (one hidden
   * class). Field and column names come from the domain's static field lists.
   */
  readonly fromRow: (row: Record<string, unknown>) => T;

  /** Columns (unquoted) and parameter values of every field present in `values`, in field order. */
  toRow(values: Partial<T>): { columns: string[]; params: unknown[] } {
    const columns: string[] = [];
    const params: unknown[] = [];
    for (const [field, column, kind] of this.entries) {
      const value = (values as Record<string, unknown>)[field];
      if (value === undefined) continue;
      columns.push(column);
      params.push(encodeValue(kind, value));
    }
    return { columns, params };
  }
}
