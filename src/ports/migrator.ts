/** A migration recorded in the database's `schema_migrations` table. */
export interface AppliedMigration {
  name: string;
  appliedAt: Date;
  /**
   * sha256 (hex) of what was run to apply it (the SQL text, or a code migration's source);
   * null when the database predates checksums and has not been migrated since.
   */
  checksum: string | null;
}

/** Where the database stands against the migrations this build knows. */
export interface MigrationState {
  /** Recorded migrations, oldest first. */
  applied: AppliedMigration[];
  /** Known migrations not yet applied, in order. */
  pending: string[];
  /** Recorded migrations this build does not know: the database is newer than the code. */
  unknown: string[];
  /**
   * Applied migrations whose recorded checksum differs from this build's: the migration
   * was edited after it was applied, so the schema may not be what the code says.
   */
  changed: string[];
}

/** A migration `up` would apply, with the SQL it would run. */
export interface PlannedMigration {
  name: string;
  /**
   * The SQL text; for a code migration, its declared SQL with `<placeholders>` for what it
   * decides when it runs (`code` is then true).
   */
  sql: string;
  code: boolean;
}

/**
 * Applies and reverts this engine's migration set. Every migration commits
 * together with its `schema_migrations` record or not at all, and concurrent
 * callers (threads or processes) are serialised by a migration lock, so each
 * migration is applied exactly once.
 */
export interface Migrator {
  /** The migration names this build knows, in order. */
  names(): string[];
  /** Applied, pending and unknown migrations. Creates nothing. */
  state(): Promise<MigrationState>;
  /**
   * Applies pending migrations up to and including `to` (default: all); returns the
   * names applied by this call. Records each migration's checksum; first adds the
   * checksum column to an older `schema_migrations` and fills it for its rows from this
   * build (they were applied from it). Throws `MigrationError` when the database records
   * a migration this build does not know, when an applied migration's checksum differs
   * from this build's (naming it) unless it is listed in `acceptChanged` (whose new
   * checksums are then recorded), or when `to` or an `acceptChanged` name is not known.
   */
  up(options?: { to?: string; acceptChanged?: string[] }): Promise<string[]>;
  /**
   * What `up` with the same options would apply, in order, with its SQL; refuses what `up`
   * would refuse (unknown or changed migrations, unknown names). Takes no lock and writes
   * nothing, so another process may apply them meanwhile.
   */
  plan(options?: { to?: string; acceptChanged?: string[] }): Promise<PlannedMigration[]>;
  /**
   * Reverts applied migrations, newest first: without options only the newest one;
   * with `to`, every migration after `to` and `to` itself (as Umzug's `down({ to })`);
   * with `all`, every one. Each revert commits with the removal of its record.
   * Returns the names reverted. Refuses (`MigrationError`) a database with changed
   * migrations, as `up` does.
   */
  down(options?: { to?: string; all?: boolean }): Promise<string[]>;
  /**
   * Reverts every applied migration (newest first) and drops the `schema_migrations`
   * table, under the migration lock: the database is as before the first migration.
   * Only what the migrations created is dropped, so other tables sharing the schema
   * survive. Throws `MigrationError` for a database newer than this build. Returns the
   * names reverted.
   */
  reset(): Promise<string[]>;
  /**
   * Throws `MigrationError` unless the database is exactly at this build's newest
   * migration with no changed migration (see `MigrationState.changed`). Writes nothing.
   */
  assertCurrent(): Promise<void>;
}
