/** The storage class of a column, comparable across engines. */
export type TypeClass = 'text' | 'integer' | 'real' | 'boolean' | 'timestamp' | 'json' | 'other';

export interface ColumnShape {
  name: string;
  typeClass: TypeClass;
  nullable: boolean;
}

export interface IndexShape {
  name: string;
  columns: string[];
  unique: boolean;
  partial: boolean;
}

export interface ForeignKeyShape {
  columns: string[];
  references: string;
  referencedColumns: string[];
  onDelete: string;
}

export interface TableShape {
  name: string;
  columns: ColumnShape[];
  primaryKey: string[];
  foreignKeys: ForeignKeyShape[];
  /** Unique constraints and indexes (primary key excluded), sorted by name. */
  indexes: IndexShape[];
}

/**
 * The schema as the engine reports it, normalised so both engines compare equal
 * when they hold the same logical schema. Tables are sorted by name; engine-only
 * artefacts (full-text shadow tables, search vectors, `schema_migrations`) are left out.
 */
export interface SchemaSnapshot {
  tables: TableShape[];
}

/** Read-only views of the database for operators and tests. */
export interface Inspector {
  /** The introspected schema of this package's tables. */
  schema(): Promise<SchemaSnapshot>;
  /** Row count of every table of this package, keyed by table name. */
  rowCounts(): Promise<Record<string, number>>;
  /** Engine-level integrity problems (SQLite: integrity_check, foreign_key_check); [] when healthy. */
  integrityProblems(): Promise<string[]>;
}
