import { ConfigError } from '../domain/errors.js';
import { implementationOrNull } from '../container.js';
import { ENGINES, engineNamed, type AnyEngine } from '../engines/registry.js';
import type { SchemaSnapshot } from '../ports/inspector.js';
import type { Store } from '../ports/store.js';

export { diffSchemas } from '../migrations/schema-diff.js';

/**
 * A throwaway store that needs no server, for the expected schema: the engine's own
 * reference when it has one (SQLite: an in-memory database), otherwise that of another
 * installed engine. The schema parity test keeps every engine's introspected schema equal,
 * so any engine's reference is the expectation for every engine.
 */
function referenceStore(engine: AnyEngine): Store {
  for (const candidate of [engine, ...(ENGINES as readonly AnyEngine[]).filter((e) => e !== engine)]) {
    const store = implementationOrNull(candidate)?.referenceStore?.();
    if (store) return store;
  }
  const able = (ENGINES as readonly AnyEngine[]).filter((e) => e.name !== engine.name).map((e) => e.driver);
  throw new ConfigError('database.engine', `comparing the schema needs an engine that migrates a throwaway database without a server; install one of: ${able.join(', ')}`);
}

/**
 * The schema this build expects after the migrations up to `lastApplied` (none when
 * null) on a database of `engine`: the snapshot of a freshly migrated reference database.
 */
export async function expectedSchema(engine: string, lastApplied: string | null): Promise<SchemaSnapshot> {
  if (lastApplied === null) return { tables: [] };
  const reference = referenceStore(engineNamed(engine));
  try {
    await reference.migrator.up({ to: lastApplied });
    return await reference.inspector.schema();
  } finally {
    await reference.close();
  }
}
