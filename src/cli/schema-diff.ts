import { databaseConfigSchema } from '../config/config-schema.js';
import { createStore } from '../container.js';
import type { SchemaSnapshot } from '../ports/inspector.js';

export { diffSchemas } from '../migrations/schema-diff.js';

/**
 * The schema this build expects after the migrations up to `lastApplied` (none when
 * null): the snapshot of a freshly migrated in-memory SQLite database. The schema parity
 * test keeps both engines' snapshots equal, so it is the expectation for either engine.
 */
export async function expectedSchema(lastApplied: string | null): Promise<SchemaSnapshot> {
  if (lastApplied === null) return { tables: [] };
  const reference = createStore(databaseConfigSchema.parse({ engine: 'sqlite', sqlite: { path: ':memory:' } }));
  try {
    await reference.migrator.up({ to: lastApplied });
    return await reference.inspector.schema();
  } finally {
    await reference.close();
  }
}
