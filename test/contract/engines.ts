import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { PostgresTableReader } from '../../src/adapters/postgres/postgres-table-reader.js';
import { SqliteTableReader } from '../../src/adapters/sqlite/sqlite-table-reader.js';
import type { Clock } from '../../src/ports/clock.js';
import type { TableReader } from '../../src/ports/table-reader.js';
import type { EngineName, Store } from '../../src/ports/store.js';
import { createPgDatabase, createSqlitePath } from '../support/databases.js';
import { ManualClock } from '../support/manual-clock.js';

/**
 * Legitimate engine differences a contract may branch on. Contracts never test the
 * engine's name.
 */
export interface Capabilities {
  /** Several processes can share the database over the network (false: one file on one host). */
  networked: boolean;
}

export interface FreshOptions {
  clock?: Clock;
}

/** A fresh, migrated store on an empty database, closed after the test. */
export type StoreFactory = (options?: FreshOptions) => Promise<Store>;

/** What a contract receives. `connection` describes the database for child processes. */
export interface ContractContext {
  fresh: StoreFactory;
  capabilities: Capabilities;
  /** A store on the same database as the last `fresh()` one (e.g. a second daemon). */
  another: (options?: FreshOptions) => Promise<Store>;
  /** How a child process opens the database of the last `fresh()` store. */
  connection: () => ConnectionSpec;
  /** A TableReader (as `copy` uses) on the database of the last `fresh()` store, closed after the test. */
  reader: () => TableReader;
}

export type ConnectionSpec = { engine: 'sqlite'; path: string } | { engine: 'postgresql'; url: string };

export interface Engine {
  name: EngineName;
  capabilities: Capabilities;
  /** Called once per test file. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** Opens a store on the current database (without migrating or cleaning). */
  open(clock: Clock): Store;
  /** Makes the current database empty and migrated. */
  reset(): Promise<void>;
  connection(): ConnectionSpec;
  /** A new TableReader on the current database. */
  reader(): TableReader;
}

function sqliteEngine(): Engine {
  let current: ReturnType<typeof createSqlitePath> | null = null;
  const made: ReturnType<typeof createSqlitePath>[] = [];
  return {
    name: 'sqlite',
    capabilities: { networked: false },
    async setup() {},
    async teardown() {
      for (const m of made) m.remove();
    },
    open(clock) {
      return new SqliteStore({ path: current!.path }, clock);
    },
    async reset() {
      current = createSqlitePath();
      made.push(current);
      const store = new SqliteStore({ path: current.path });
      await store.migrator.up();
      await store.close();
    },
    connection: () => ({ engine: 'sqlite', path: current!.path }),
    reader: () => new SqliteTableReader(current!.path),
  };
}

function postgresEngine(): Engine {
  let db: Awaited<ReturnType<typeof createPgDatabase>> | null = null;
  let migrated = false;
  return {
    name: 'postgresql',
    capabilities: { networked: true },
    async setup() {
      db = await createPgDatabase('tc_contract');
    },
    async teardown() {
      await db?.drop();
    },
    open(clock) {
      return new PostgresStore({ url: db!.url, pool: { max: 10 } }, db!.url, clock);
    },
    async reset() {
      const store = new PostgresStore({ url: db!.url }, db!.url);
      try {
        if (!migrated) {
          await store.migrator.up();
          migrated = true;
        } else {
          const tables = Object.keys(await store.inspector.rowCounts());
          if (tables.length > 0) {
            await store.database.query(`TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`);
          }
        }
      } finally {
        await store.close();
      }
    },
    connection: () => ({ engine: 'postgresql', url: db!.url }),
    reader: () => new PostgresTableReader({ url: db!.url }, db!.url),
  };
}

export const ENGINES: Record<EngineName, () => Engine> = { sqlite: sqliteEngine, postgresql: postgresEngine };

/** Registers `contracts` against one engine, each test on a fresh database state. */
export function describeEngine(name: EngineName, contracts: ((context: ContractContext) => void)[]): void {
  const engine = ENGINES[name]();
  const open: Store[] = [];
  const readers: TableReader[] = [];
  describe(`${name} engine`, () => {
    beforeAll(() => engine.setup());
    afterAll(() => engine.teardown());
    afterEach(async () => {
      await Promise.all([...open.splice(0), ...readers.splice(0)].map((s) => s.close()));
    });
    const context: ContractContext = {
      capabilities: engine.capabilities,
      async fresh(options = {}) {
        await engine.reset();
        const store = engine.open(options.clock ?? new ManualClock());
        open.push(store);
        return store;
      },
      async another(options = {}) {
        const store = engine.open(options.clock ?? new ManualClock());
        open.push(store);
        return store;
      },
      connection: () => engine.connection(),
      reader() {
        const reader = engine.reader();
        readers.push(reader);
        return reader;
      },
    };
    for (const contract of contracts) contract(context);
  });
}
