import type { EngineName } from '../../../src/engines/registry.js';
import type { EngineHarness } from './harness.js';
import { mariadbHarness } from './mariadb.js';
import { pgbouncerHarness, postgresHarness } from './postgresql.js';
import { sqliteHarness } from './sqlite.js';

export type { ConnectionSpec, EngineHarness, TestDatabase } from './harness.js';

/** One harness per registered engine (the type makes a new engine's entry compulsory). */
export const HARNESSES: Readonly<Record<EngineName, EngineHarness>> = {
  sqlite: sqliteHarness,
  postgresql: postgresHarness,
  mariadb: mariadbHarness,
};

/** Every setup the contracts run on: each engine, and variants of one (PostgreSQL behind a transaction pooler). */
export const CONTRACT_ENTRIES = {
  ...HARNESSES,
  'postgres-pgbouncer': pgbouncerHarness,
} as const satisfies Record<string, EngineHarness>;

export type ContractEntry = keyof typeof CONTRACT_ENTRIES;

/** The registered engines' harnesses, in the registry's order. */
export function harnesses(): EngineHarness[] {
  return Object.values(HARNESSES);
}

/** Every unordered pair of registered engines (for tests that compare engines, such as schema parity and copy). */
export function enginePairs(): [EngineHarness, EngineHarness][] {
  const all = harnesses();
  return all.flatMap((a, i) => all.slice(i + 1).map((b): [EngineHarness, EngineHarness] => [a, b]));
}
