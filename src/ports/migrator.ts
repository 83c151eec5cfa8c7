/** A migration recorded in the database's `schema_migrations` table. */
export interface AppliedMigration {
  name: string;
  appliedAt: Date;
}

/** Where the database stands against the migrations this build knows. */
export interface MigrationState {
  /** Recorded migrations, oldest first. */
  applied: AppliedMigration[];
  /** Known migrations not yet applied, in order. */
  pending: string[];
  /** Recorded migrations this build does not know: the database is newer than the code. */
  unknown: string[];
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
   * names applied by this call. Throws `MigrationError` when the database records a
   * migration this build does not know, or when `to` is not a known name.
   */
  up(options?: { to?: string }): Promise<string[]>;
  /**
   * Reverts applied migrations, newest first: without options only the newest one;
   * with `to`, every migration after `to` and `to` itself (as Umzug's `down({ to })`);
   * with `all`, every one. Each revert commits with the removal of its record.
   * Returns the names reverted.
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
  /** Throws `MigrationError` unless the database is exactly at this build's newest migration. */
  assertCurrent(): Promise<void>;
}
