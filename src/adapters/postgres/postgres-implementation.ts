import { randomBytes } from 'node:crypto';
import type { EngineImplementation } from '../../engines/engine.js';
import type { PostgresConfig } from './postgres-config.js';
import { createPool, PostgresDatabase } from './postgres-database.js';
import { PostgresInstanceLock } from './postgres-instance-lock.js';
import { PostgresLeaseLock } from './postgres-lease-lock.js';
import { PostgresStore } from './postgres-store.js';
import { PostgresTableReader } from './postgres-table-reader.js';

/**
 * The PostgreSQL engine's factories. Imported by `postgresEngine.load()` only, so nothing
 * loads pg (an optional peer dependency) unless PostgreSQL is used.
 */
export const postgresImplementation: EngineImplementation<PostgresConfig> = {
  createStore(block, { clock, observe, location }) {
    const store = new PostgresStore(block, location, clock, observe);
    return Object.assign(store, { client: store.database.pool });
  },
  createInstanceLock: (block, { location }) =>
    block.instanceLock === 'advisory' ? new PostgresInstanceLock(block, location) : new PostgresLeaseLock(block, location),
  createTableReader: (block, { location }) => new PostgresTableReader(block, location),
  /**
   * A new schema in the same database (the target's own schema is never touched; a
   * process killed before `remove` leaves a `tc_copy_dry_run_*` schema behind, which
   * `DROP SCHEMA ... CASCADE` removes).
   */
  async createScratchDatabase(block) {
    const schema = `tc_copy_dry_run_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new PostgresDatabase(createPool(block));
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
    } catch (error) {
      await admin.close();
      throw error;
    }
    return {
      block: { ...block, schema },
      remove: async () => {
        try {
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await admin.close();
        }
      },
    };
  },
  // The server keeps its files.
  exposureWarnings: () => [],
};
