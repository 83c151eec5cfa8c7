import { afterAll, afterEach, describe } from 'vitest';
import { capabilitiesOf, engineNamed } from '../../src/engines/registry.js';
import type { Clock } from '../../src/ports/clock.js';
import type { TableReader } from '../../src/ports/table-reader.js';
import type { Store } from '../../src/ports/store.js';
import { CONTRACT_ENTRIES, type ConnectionSpec, type ContractEntry, type EngineHarness, type TestDatabase } from '../support/harness/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { readerFor, storeFor } from '../support/open-options.js';

export type { ConnectionSpec } from '../support/harness/index.js';
export type { ContractEntry as EngineEntry } from '../support/harness/index.js';

/**
 * Legitimate engine differences a contract may branch on. Contracts never test the
 * engine's name.
 */
export interface Capabilities {
  /** Several processes can share the database over the network (false: one file on one host). The registry's flag. */
  networked: boolean;
  /**
   * How long a SIGKILLed daemon's instance lock may outlive it: the OS drops a file lock
   * at once; a PostgreSQL lease runs out after its lease time (the harness's `contractSettings`).
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

/**
 * The databases of one contract file on one harness: with `emptyTablesSql`, one database
 * migrated once and emptied before each test; without, a new migrated database per test.
 */
function contractDatabases(entry: string, harness: EngineHarness) {
  const prefix = `tc_contract_${entry.replace(/[^a-z0-9]/g, '_')}`;
  const made: TestDatabase[] = [];
  let current: TestDatabase | null = null;
  let migrated = false;
  const spec = (): ConnectionSpec => {
    if (!current) throw new Error('no database yet: call fresh() first');
    return { ...current.spec, settings: { ...current.spec.settings, ...harness.contractSettings } };
  };
  return {
    spec,
    async reset(): Promise<void> {
      if (!current || !harness.emptyTablesSql) {
        current = await harness.createDatabase(prefix);
        made.push(current);
        migrated = false;
      }
      const store = storeFor(spec());
      try {
        if (!migrated) {
          await store.migrator.up();
          migrated = true;
        } else {
          const tables = Object.keys(await store.inspector.rowCounts());
          if (tables.length > 0) await current.exec(harness.emptyTablesSql!(tables));
        }
      } finally {
        await store.close();
      }
    },
    async removeAll(): Promise<void> {
      for (const db of made.splice(0)) await db.remove();
    },
  };
}

/** Registers `contracts` against one entry of CONTRACT_ENTRIES, each test on a fresh database state. */
export function describeEngine(entry: ContractEntry, contracts: ((context: ContractContext) => void)[]): void {
  const harness = CONTRACT_ENTRIES[entry];
  const databases = contractDatabases(entry, harness);
  const open: Store[] = [];
  const readers: TableReader[] = [];
  describe(`${entry} engine`, () => {
    afterAll(() => databases.removeAll());
    afterEach(async () => {
      await Promise.all([...open.splice(0), ...readers.splice(0)].map((s) => s.close()));
    });
    const openStore = (options: FreshOptions) => {
      const store = storeFor(databases.spec(), { clock: options.clock ?? new ManualClock() });
      open.push(store);
      return store;
    };
    const context: ContractContext = {
      capabilities: { networked: capabilitiesOf(engineNamed(harness.name)).networked, crashedLockFreedWithinMs: harness.crashedLockFreedWithinMs },
      async fresh(options = {}) {
        await databases.reset();
        return openStore(options);
      },
      async another(options = {}) {
        return openStore(options);
      },
      connection: () => databases.spec(),
      reader() {
        const reader = readerFor(databases.spec());
        readers.push(reader);
        return reader;
      },
    };
    for (const contract of contracts) contract(context);
  });
}
