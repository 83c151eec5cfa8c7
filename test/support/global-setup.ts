import type { TestProject } from 'vitest/node';
import { findPostgres } from './find-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server for tests, or '' when none was found. */
    pgAdminUrl: string;
    /** Why no server was found, with how to provide one. */
    pgUnavailable: string;
  }
}

/**
 * Finds one PostgreSQL server for the whole run: TEST_DATABASE_URL, then the local
 * server on 127.0.0.1:5432, then a testcontainers postgres:16 where Docker runs.
 * Each test file then creates (and drops) a database of its own on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findPostgres();
  project.provide('pgAdminUrl', found.url ?? '');
  project.provide('pgUnavailable', found.problem ?? '');
  return async () => {
    await found.stop?.();
  };
}
