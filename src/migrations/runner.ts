import { Umzug } from 'umzug';
import { ConfigError, MigrationError, UnavailableError } from '../domain/errors.js';
import type { AppliedMigration, MigrationState, Migrator } from '../ports/migrator.js';

/**
 * What an engine provides to run its migration set. `apply` and `revert` must write
 * the migration and its `schema_migrations` record in one transaction, and must skip
 * (returning false) a migration that another process applied or reverted meanwhile.
 */
export interface MigrationDriver<M extends { name: string }> {
  /** Runs `fn` while holding the engine's migration lock (creating the bookkeeping table first). */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Recorded migrations, oldest first; [] when the bookkeeping table does not exist yet. */
  recorded(): Promise<AppliedMigration[]>;
  apply(migration: M): Promise<boolean>;
  revert(migration: M): Promise<boolean>;
  /** Drops the bookkeeping table; called inside `withLock` once nothing is applied. */
  dropBookkeeping(): Promise<void>;
}

/**
 * The engine-neutral half of a migrator: Umzug orders and selects migrations, the
 * driver locks and records. Umzug's own storage calls are no-ops because the record is
 * written inside the migration's transaction (Umzug would write it separately).
 */
export function createMigrator<M extends { name: string }>(driver: MigrationDriver<M>, migrations: readonly M[]): Migrator {
  const known = migrations.map((m) => m.name);
  const byName = new Map(migrations.map((m) => [m.name, m]));
  // What this call applied or reverted itself: a driver that locks per migration (through
  // a pooler) may find one already done by another process, and skips it.
  let done = new Set<string>();

  const umzug = new Umzug({
    migrations: migrations.map((m) => ({
      name: m.name,
      up: async () => {
        if (await driver.apply(m)) done.add(m.name);
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

  async function state(): Promise<MigrationState> {
    const applied = await driver.recorded();
    const appliedNames = new Set(applied.map((a) => a.name));
    return {
      applied,
      pending: known.filter((name) => !appliedNames.has(name)),
      unknown: applied.map((a) => a.name).filter((name) => !byName.has(name)),
    };
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
        const current = await state();
        refuseUnknown(current);
        const target = options.to === undefined ? known.length : known.indexOf(options.to) + 1;
        const todo = current.pending.filter((name) => known.indexOf(name) < target);
        if (todo.length === 0) return [];
        return run(() => umzug.up({ migrations: todo, rerun: 'ALLOW' }));
      });
    },
    async reset() {
      return driver.withLock(async () => {
        const current = await state();
        refuseUnknown(current);
        const todo = current.applied.map((a) => a.name).reverse();
        const reverted = todo.length ? await run(() => umzug.down({ migrations: todo, rerun: 'ALLOW' })) : [];
        await driver.dropBookkeeping();
        return reverted;
      });
    },
    async down(options = {}) {
      requireKnown(options.to);
      return driver.withLock(async () => {
        const current = await state();
        refuseUnknown(current);
        const applied = current.applied.map((a) => a.name);
        let todo: string[];
        if (options.all) todo = applied;
        else if (options.to !== undefined) {
          const from = applied.indexOf(options.to);
          todo = from === -1 ? [] : applied.slice(from);
        } else todo = applied.slice(-1);
        if (todo.length === 0) return [];
        return run(() => umzug.down({ migrations: todo.reverse(), rerun: 'ALLOW' }));
      });
    },
    async assertCurrent() {
      const current = await state();
      refuseUnknown(current);
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
