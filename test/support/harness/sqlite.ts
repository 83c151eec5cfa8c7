import Database from 'better-sqlite3';
import { createSqlitePath } from '../databases.js';
import type { EngineHarness } from './harness.js';

/** SQLite: a new file in a new temporary directory; the OS frees a dead holder's file lock at once. */
export const sqliteHarness: EngineHarness = {
  name: 'sqlite',
  clientClass: Database,
  crashedLockFreedWithinMs: 2000,
  async createDatabase() {
    const made = createSqlitePath();
    return {
      spec: { engine: 'sqlite', location: made.path },
      async exec(sql) {
        const db = new Database(made.path);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      async query(sql) {
        const db = new Database(made.path);
        try {
          const statement = db.prepare(sql);
          return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
        } finally {
          db.close();
        }
      },
      remove: async () => made.remove(),
    };
  },
};
