import { Umzug } from 'umzug';
import { MigrationError } from '../domain/errors.js';
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

  const umzug = new Umzug({
    migrations: migrations.map((m) => ({
      name: m.name,
      up: async () => {
        await driver.apply(m);
      },
      down: async () => {
        await driver.revert(m);
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
        const done = await wrap(() => umzug.up({ migrations: todo }));
        return done.map((m) => m.name);
      });
    },
    async reset() {
      return driver.withLock(async () => {
        const current = await state();
        refuseUnknown(current);
        const todo = current.applied.map((a) => a.name).reverse();
        const done = todo.length ? await wrap(() => umzug.down({ migrations: todo })) : [];
        await driver.dropBookkeeping();
        return done.map((m) => m.name);
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
        const done = await wrap(() => umzug.down({ migrations: todo.reverse() }));
        return done.map((m) => m.name);
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
    const message = (error as Error).message.replace(/Original error: /, '');
    throw new MigrationError(message, { cause: original });
  }
}
