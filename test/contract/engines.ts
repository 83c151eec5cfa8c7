import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { MariadbStore } from '../../src/adapters/mariadb/mariadb-store.js';
import { MariadbTableReader } from '../../src/adapters/mariadb/mariadb-table-reader.js';
import { quoteIdent as mariadbIdent } from '../../src/adapters/mariadb/mariadb-database.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { PostgresTableReader } from '../../src/adapters/postgres/postgres-table-reader.js';
import { SqliteTableReader } from '../../src/adapters/sqlite/sqlite-table-reader.js';
import type { Clock } from '../../src/ports/clock.js';
import type { TableReader } from '../../src/ports/table-reader.js';
import type { Store } from '../../src/ports/store.js';
import type { EngineName } from '../../src/engines/registry.js';
import { createMariadbTestDatabase, createPgDatabase, createSqlitePath } from '../support/databases.js';
import { ManualClock } from '../support/manual-clock.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';

/**
 * Legitimate engine differences a contract may branch on. Contracts never test the
 * engine's name.
 */
export interface Capabilities {
  /** Several processes can share the database over the network (false: one file on one host). */
  networked: boolean;
  /**
   * How long a SIGKILLed daemon's instance lock may outlive it: the OS drops a file lock
   * at once; a PostgreSQL lease runs out after its lease time (`connection().lockLeaseMs`).
   */
  crashedLockFreedWithinMs: number;
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

export type ConnectionSpec =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgresql'; url: string; /** `instanceLockLeaseMs` of the daemons the contracts start. */ lockLeaseMs?: number }
  | { engine: 'mariadb'; url: string };

/** The lease the contracts give PostgreSQL daemons, so that a crashed holder's lock frees quickly. */
const CONTRACT_LEASE_MS = 2000;

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
    capabilities: { networked: false, crashedLockFreedWithinMs: 2000 },
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

/**
 * PostgreSQL, directly or through a PgBouncer in transaction pooling mode with its
 * default settings (started for the test file on a free port). Databases are created and
 * dropped on the server itself; everything else, migrations included, goes through the
 * pooler.
 */
function postgresEngine(pooler: boolean): () => Engine {
  return () => {
    let db: Awaited<ReturnType<typeof createPgDatabase>> | null = null;
    let bouncer: PgBouncer | null = null;
    let url = '';
    let migrated = false;
    return {
      name: 'postgresql',
      // Direct: the holder's witness session ends with it. Through a pooler only the lease counts.
      capabilities: { networked: true, crashedLockFreedWithinMs: pooler ? CONTRACT_LEASE_MS + 2000 : 2000 },
      async setup() {
        db = await createPgDatabase(pooler ? 'tc_bouncer' : 'tc_contract');
        if (pooler) bouncer = await startPgBouncer(db.url);
        url = bouncer ? bouncer.through(db.url) : db.url;
      },
      async teardown() {
        await bouncer?.stop();
        await db?.drop();
      },
      open(clock) {
        return new PostgresStore({ url, pool: { max: 10 } }, url, clock);
      },
      async reset() {
        const store = new PostgresStore({ url }, url);
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
      connection: () => ({ engine: 'postgresql', url, lockLeaseMs: CONTRACT_LEASE_MS }),
      reader: () => new PostgresTableReader({ url }, url),
    };
  };
}

/**
 * MariaDB on a database of its own per test file. The first reset migrates; later ones
 * empty, on one connection with foreign-key checks off, every table that holds rows and
 * move back every AUTO_INCREMENT that moved, as PostgreSQL's TRUNCATE ... RESTART
 * IDENTITY does. DELETE rather than TRUNCATE: TRUNCATE is DDL (it re-creates the table's
 * file), which on a server shared by parallel test files stalls everyone's statements.
 */
function mariadbEngine(): Engine {
  let db: Awaited<ReturnType<typeof createMariadbTestDatabase>> | null = null;
  let migrated = false;
  return {
    name: 'mariadb',
    // GET_LOCK on the holder's own connection: the server frees it when that connection drops.
    capabilities: { networked: true, crashedLockFreedWithinMs: 2000 },
    async setup() {
      db = await createMariadbTestDatabase('tc_contract');
    },
    async teardown() {
      await db?.drop();
    },
    open(clock) {
      return new MariadbStore({ url: db!.url, pool: { max: 10 } }, db!.url, clock);
    },
    async reset() {
      const store = new MariadbStore({ url: db!.url }, db!.url);
      try {
        // A test may have reverted migrations (down), so their state is checked each time.
        if (!migrated || (await store.migrator.state()).pending.length > 0) {
          await store.migrator.up();
          migrated = true;
        }
        const { rows } = await store.database.query<{ name: string; auto: number | null }>(
          `SELECT table_name AS name, auto_increment AS auto FROM information_schema.tables
           WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
        );
        if (rows.length === 0) return;
        const probe = rows.map((r) => `SELECT ? AS name FROM ${mariadbIdent(r.name)} HAVING COUNT(*) > 0`).join(' UNION ALL ');
        const filled = new Set((await store.database.query<{ name: string }>(probe, rows.map((r) => r.name))).rows.map((r) => r.name));
        const moved = rows.filter((r) => r.auto !== null && Number(r.auto) > 1).map((r) => r.name);
        if (filled.size === 0 && moved.length === 0) return;
        await store.database.transaction(async (tx) => {
          await tx.query('SET SESSION foreign_key_checks = 0');
          try {
            for (const name of filled) await tx.query(`DELETE FROM ${mariadbIdent(name)}`);
          } finally {
            await tx.query('SET SESSION foreign_key_checks = 1');
          }
        });
        // InnoDB never moves the counter below max + 1, so after the DELETE this restarts it at 1.
        for (const name of moved) await store.database.query(`ALTER TABLE ${mariadbIdent(name)} AUTO_INCREMENT = 1`);
      } finally {
        await store.close();
      }
    },
    connection: () => ({ engine: 'mariadb', url: db!.url }),
    reader: () => new MariadbTableReader({ url: db!.url }, db!.url),
  };
}

/** Every engine the contracts run on: the store engines, and PostgreSQL behind a transaction pooler. */
export type EngineEntry = 'sqlite' | 'postgresql' | 'postgres-pgbouncer' | 'mariadb';

export const ENGINES: Record<EngineEntry, () => Engine> = {
  sqlite: sqliteEngine,
  postgresql: postgresEngine(false),
  'postgres-pgbouncer': postgresEngine(true),
  mariadb: mariadbEngine,
};

/** Registers `contracts` against one engine, each test on a fresh database state. */
export function describeEngine(name: EngineEntry, contracts: ((context: ContractContext) => void)[]): void {
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
