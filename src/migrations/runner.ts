import { createHash } from 'node:crypto';
import type { Umzug } from 'umzug';
import { ConfigError, MigrationError, UnavailableError } from '../domain/errors.js';
import type { AppliedMigration, MigrationState, Migrator, PlannedMigration } from '../ports/migrator.js';

/**
 * What an engine provides to run its migration set. `apply` and `revert` must write
 * the migration and its `schema_migrations` record in one transaction, and must skip
 * (returning false) a migration that another process applied or reverted meanwhile.
 */
export interface MigrationDriver<M extends ChecksummedMigration> {
  /** Runs `fn` while holding the engine's migration lock (creating the bookkeeping table first). */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Recorded migrations, oldest first; [] when the bookkeeping table does not exist yet. */
  recorded(): Promise<AppliedMigration[]>;
  /** Applies `migration` and records it with `checksum`. */
  apply(migration: M, checksum: string): Promise<boolean>;
  /**
   * Under the migration lock, in one transaction: adds the checksum column if missing,
   * fills the rows that have none from `backfill` (name -> checksum), and overwrites the
   * checksums of the names in `accept`.
   */
  recordChecksums(backfill: Map<string, string>, accept: Map<string, string>): Promise<void>;
  revert(migration: M): Promise<boolean>;
  /** Drops the bookkeeping table; called inside `withLock` once nothing is applied. */
  dropBookkeeping(): Promise<void>;
}

/**
 * The engine-neutral half of a migrator: Umzug orders and selects migrations, the
 * driver locks and records. Umzug's own storage calls are no-ops because the record is
 * written inside the migration's transaction (Umzug would write it separately).
 */
export function createMigrator<M extends ChecksummedMigration>(driver: MigrationDriver<M>, migrations: readonly M[]): Migrator {
  const known = migrations.map((m) => m.name);
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const checksums = new Map(migrations.map((m) => [m.name, migrationChecksum(m)]));
  // What this call applied or reverted itself: a driver that locks per migration (through
  // a pooler) may find one already done by another process, and skips it.
  let done = new Set<string>();

  // Umzug is loaded when a migration first runs: its module graph (its own CLI's
  // included) takes about a quarter of a second to load, which a process that only reads
  // the migration state (`status`, `--help`, a daemon whose schema is current) need not pay.
  async function load(): Promise<Umzug<object>> {
    const { Umzug } = await import('umzug');
    return new Umzug({
      migrations: migrations.map((m) => ({
        name: m.name,
        up: async () => {
          if (await driver.apply(m, checksums.get(m.name)!)) done.add(m.name);
        },
        down: async () => {
          if (await driver.revert(m)) done.add(m.name);
        },
      })),
      storage: {
        executed: async () => (await driver.recorded()).map((r) => r.name),
        logMigration: async () => {},
        unlogMigration: async () => {},
      },
      logger: undefined,
    });
  }
  let loaded: Promise<Umzug<object>> | null = null;
  const umzug = () => (loaded ??= load());

  async function state(): Promise<MigrationState> {
    const applied = await driver.recorded();
    const appliedNames = new Set(applied.map((a) => a.name));
    return {
      applied,
      pending: known.filter((name) => !appliedNames.has(name)),
      unknown: applied.map((a) => a.name).filter((name) => !byName.has(name)),
      changed: applied.filter((a) => a.checksum !== null && checksums.has(a.name) && a.checksum !== checksums.get(a.name)).map((a) => a.name),
    };
  }

  function refuseChanged(current: MigrationState): void {
    if (current.changed.length > 0) {
      throw new MigrationError(
        `applied migration(s) ${current.changed.join(', ')} changed since they were applied (their recorded checksum differs from this build's); the schema may not be what this build expects. Restore the migration's original text, or, once you have checked the database matches, run \`teleclaude-db migrate --accept-changed ${current.changed[0]}\` to record the new checksum`,
      );
    }
  }

  function pendingUpTo(current: MigrationState, to: string | undefined): string[] {
    const target = to === undefined ? known.length : known.indexOf(to) + 1;
    return current.pending.filter((name) => known.indexOf(name) < target);
  }

  /** Adds/backfills the checksum column and records accepted changes; the lock held. */
  async function prepare(accept: string[] = []): Promise<MigrationState> {
    const before = await state();
    refuseUnknown(before);
    const applied = new Set(before.applied.map((a) => a.name));
    for (const name of accept) {
      requireKnown(name);
      if (!applied.has(name)) throw new MigrationError(`--accept-changed ${name}: migration ${name} is not applied, so it has no checksum to replace`);
    }
    const backfill = new Map(before.applied.filter((a) => a.checksum === null && checksums.has(a.name)).map((a) => [a.name, checksums.get(a.name)!]));
    if (backfill.size > 0 || accept.length > 0) {
      await driver.recordChecksums(backfill, new Map(accept.map((name) => [name, checksums.get(name)!])));
    }
    const current = await state();
    refuseUnknown(current);
    refuseChanged(current);
    return current;
  }
  function refuseUnknown(current: MigrationState): void {
    if (current.unknown.length > 0) {
      throw new MigrationError(
        `database is newer than this build: it records migration(s) ${current.unknown.join(', ')} that this build does not know; upgrade teleclaude-persistence`,
      );
    }
  }

  function requireKnown(name: string | undefined): void {
    if (name !== undefined && !byName.has(name)) {
      throw new MigrationError(`unknown migration "${name}"; known: ${known.join(', ')}`);
    }
  }

  /** Runs Umzug (the lock held) and returns the names this call changed, in order. */
  async function run(step: () => Promise<{ name: string }[]>): Promise<string[]> {
    done = new Set();
    const ran = await wrap(step);
    return ran.map((m) => m.name).filter((name) => done.has(name));
  }

  return {
    names: () => [...known],
    state,
    async up(options = {}) {
      requireKnown(options.to);
      return driver.withLock(async () => {
        const current = await prepare(options.acceptChanged);
        const todo = pendingUpTo(current, options.to);
        if (todo.length === 0) return [];
        return run(async () => (await umzug()).up({ migrations: todo, rerun: 'ALLOW' }));
      });
    },
    async plan(options = {}): Promise<PlannedMigration[]> {
      requireKnown(options.to);
      const accept = options.acceptChanged ?? [];
      for (const name of accept) requireKnown(name);
      const current = await state();
      refuseUnknown(current);
      refuseChanged({ ...current, changed: current.changed.filter((name) => !accept.includes(name)) });
      return pendingUpTo(current, options.to).map((name) => {
        const migration = byName.get(name)!;
        return { name, sql: checksumText(migration), code: typeof migration.up !== 'string' };
      });
    },
    async reset() {
      return driver.withLock(async () => {
        const current = await prepare();
        const todo = current.applied.map((a) => a.name).reverse();
        const reverted = todo.length ? await run(async () => (await umzug()).down({ migrations: todo, rerun: 'ALLOW' })) : [];
        await driver.dropBookkeeping();
        return reverted;
      });
    },
    async down(options = {}) {
      requireKnown(options.to);
      return driver.withLock(async () => {
        const current = await prepare();
        const applied = current.applied.map((a) => a.name);
        let todo: string[];
        if (options.all) todo = applied;
        else if (options.to !== undefined) {
          const from = applied.indexOf(options.to);
          todo = from === -1 ? [] : applied.slice(from);
        } else todo = applied.slice(-1);
        if (todo.length === 0) return [];
        return run(async () => (await umzug()).down({ migrations: todo.reverse(), rerun: 'ALLOW' }));
      });
    },
    async assertCurrent() {
      const current = await state();
      refuseUnknown(current);
      refuseChanged(current);
      if (current.pending.length > 0) {
        throw new MigrationError(
          `database has ${current.pending.length} pending migration(s) (${current.pending.join(', ')}); run \`teleclaude-db migrate\` or open with autoMigrate`,
        );
      }
    },
  };
}

/** Umzug wraps a failing migration's error; surface it as ours, keeping the original as `cause`. */
async function wrap<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    const original = (error as { cause?: unknown }).cause ?? error;
    // A lost connection, a setting or a lock wait says more on its own than "migration failed".
    if (original instanceof UnavailableError || original instanceof ConfigError || original instanceof MigrationError) throw original;
    const message = (error as Error).message.replace(/Original error: /, '');
    throw new MigrationError(message, { cause: original });
  }
}

/** What a checksum is taken of: the migration's name and its `up` step. */
export interface ChecksummedMigration {
  name: string;
  up: string | ((...args: never[]) => unknown);
  /** A code migration's SQL (placeholders for what it decides at run time). */
  sql?: string;
}

/** What a migration's checksum is taken of: its SQL, else a code migration's source. */
export function checksumText(migration: ChecksummedMigration): string {
  if (typeof migration.up === 'string') return migration.up;
  // Without `sql`, the compiled source: stable within one build, not across transpilers.
  return migration.sql ?? migration.up.toString();
}

/**
 * sha256 (hex) of what applying the migration runs (see `checksumText`), so editing an
 * applied migration is noticed.
 */
export function migrationChecksum(migration: ChecksummedMigration): string {
  const text = checksumText(migration);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
