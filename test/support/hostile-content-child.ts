// Runs every hostile case (hostile-values.ts) on an SQLite file and a PostgreSQL database
// (argv[2], argv[3], both empty) in this process's time zone and prints the outcomes as JSON.
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import type { Store } from '../../src/ports/store.js';
import { HOSTILE_CASES } from './hostile-values.js';

export type Outcome = { stored: unknown } | { refused: { name: string; code?: string; field?: string } };

async function outcomes(store: Store): Promise<Record<string, Outcome>> {
  await store.migrator.up();
  const out: Record<string, Outcome> = {};
  for (const c of HOSTILE_CASES) {
    try {
      out[c.name] = { stored: await c.run(store.repositories) };
    } catch (error) {
      const e = error as Error & { code?: string; field?: string };
      out[c.name] = { refused: { name: e.name, code: e.code, field: e.field, ...(e.code === 'TC_VALIDATION' ? {} : { message: e.message }) } };
    }
  }
  await store.close();
  return out;
}

const [sqlitePath, pgUrl] = process.argv.slice(2);
const sqlite = await outcomes(new SqliteStore({ path: sqlitePath! }));
const postgresql = await outcomes(new PostgresStore({ url: pgUrl! }, 'hostile'));
process.stdout.write(JSON.stringify({ offset1900: new Date('1900-01-01T00:00:00Z').getTimezoneOffset(), sqlite, postgresql }));
