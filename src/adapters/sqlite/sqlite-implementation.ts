import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineImplementation } from '../../engines/engine.js';
import type { SqliteConfig } from './sqlite-engine.js';
import { sqliteExposureWarnings } from './sqlite-database.js';
import { SqliteInstanceLock } from './sqlite-instance-lock.js';
import { SqliteStore } from './sqlite-store.js';
import { SqliteTableReader } from './sqlite-table-reader.js';

/**
 * The SQLite engine's factories. Imported by `sqliteEngine.load()` only, so nothing
 * loads better-sqlite3 (an optional peer dependency) unless SQLite is used.
 */
export const sqliteImplementation: EngineImplementation<SqliteConfig> = {
  createStore(block, { clock, observe }) {
    const store = new SqliteStore(
      { path: block.path, busyTimeoutMs: block.busyTimeoutMs, backgroundCheckpointMs: block.backgroundCheckpointMs, ...observe },
      clock,
    );
    return Object.assign(store, { client: store.database.db });
  },
  createInstanceLock: (block, { clock }) => new SqliteInstanceLock(block.path, clock),
  createTableReader: (block, { snapshot }) => new SqliteTableReader(block.path, { snapshot }),
  /** A new file in a new temporary directory, removed with the directory. */
  async createScratchDatabase(block) {
    const dir = mkdtempSync(join(tmpdir(), 'tc-copy-dry-run-'));
    return { block: { ...block, path: join(dir, 'scratch.db') }, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  exposureWarnings: (block) => sqliteExposureWarnings(block.path),
  referenceStore: () => new SqliteStore({ path: ':memory:' }),
};
