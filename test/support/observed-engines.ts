import type { ConnectionSpec } from '../contract/engines.js';
import { createPgDatabase, createSqlitePath } from './databases.js';

/** One engine of the observability tests: a fresh database for the file, removed after it. */
export interface EngineUnderTest {
  name: 'sqlite' | 'postgresql';
  setup(): Promise<ConnectionSpec>;
  teardown(): Promise<void>;
}

/** Both engines, each with a database of its own (PostgreSQL databases named `prefix_...`). */
export function observedEngines(prefix: string): EngineUnderTest[] {
  let made: ReturnType<typeof createSqlitePath> | undefined;
  let db: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
  return [
    {
      name: 'sqlite',
      async setup() {
        made = createSqlitePath();
        return { engine: 'sqlite', path: made.path };
      },
      async teardown() {
        made?.remove();
      },
    },
    {
      name: 'postgresql',
      async setup() {
        db = await createPgDatabase(prefix);
        return { engine: 'postgresql', url: db.url };
      },
      async teardown() {
        await db?.drop();
      },
    },
  ];
}
