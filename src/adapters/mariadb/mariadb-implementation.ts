import { randomBytes } from 'node:crypto';
import type { EngineImplementation } from '../../engines/engine.js';
import type { MariadbConfig } from './mariadb-config.js';
import { createMariadbDatabase } from './mariadb-database.js';
import { MariadbInstanceLock } from './mariadb-instance-lock.js';
import { MariadbStore } from './mariadb-store.js';
import { MariadbTableReader } from './mariadb-table-reader.js';

/** The block pointed at another database of the same server. */
function withDatabase(block: MariadbConfig, database: string): MariadbConfig {
  if (!block.url) return { ...block, database };
  const url = new URL(block.url);
  url.pathname = `/${database}`;
  return { ...block, url: url.toString() };
}

/**
 * The MariaDB engine's factories. Imported by `mariadbEngine.load()` only, so nothing
 * loads mysql2 (an optional peer dependency) unless MariaDB is used.
 */
export const mariadbImplementation: EngineImplementation<MariadbConfig> = {
  createStore(block, { clock, observe, location }) {
    const store = new MariadbStore(block, location, clock, observe);
    return Object.assign(store, { client: store.database.pool });
  },
  createInstanceLock: (block, { location }) => new MariadbInstanceLock(block, location),
  createTableReader: (block, { location }) => new MariadbTableReader(block, location),
  /**
   * A new database on the same server (needs the CREATE privilege; the target's own
   * database is never touched; a process killed before `remove` leaves a
   * `tc_copy_dry_run_*` database behind, which `DROP DATABASE` removes).
   */
  async createScratchDatabase(block) {
    const name = `tc_copy_dry_run_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = createMariadbDatabase({ ...block, pool: { max: 1 } });
    try {
      await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`);
    } catch (error) {
      await admin.close();
      throw error;
    }
    return {
      block: withDatabase(block, name),
      remove: async () => {
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        } finally {
          await admin.close();
        }
      },
    };
  },
  // The server keeps its files.
  exposureWarnings: () => [],
};
