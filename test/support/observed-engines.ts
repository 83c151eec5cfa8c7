import type { EngineName } from '../../src/engines/registry.js';
import { harnesses, type ConnectionSpec, type TestDatabase } from './harness/index.js';

/** One engine of the observability tests: a fresh database for the file, removed after it. */
export interface EngineUnderTest {
  name: EngineName;
  setup(): Promise<ConnectionSpec>;
  teardown(): Promise<void>;
}

/** Every registered engine, each with a database of its own (server databases named `prefix_...`). */
export function observedEngines(prefix: string): EngineUnderTest[] {
  return harnesses().map((harness) => {
    let db: TestDatabase | undefined;
    return {
      name: harness.name,
      async setup() {
        db = await harness.createDatabase(prefix);
        return db.spec;
      },
      async teardown() {
        await db?.remove();
      },
    };
  });
}
