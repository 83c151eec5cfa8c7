import { defineConfig } from 'vitest/config';

/**
 * One project per engine so CI can run the engines as a matrix (`vitest run --project sqlite`).
 * `npm test` runs them all. Tests that need several engines at once (parity, copy) live in
 * test/integration (and the CLI tests) run with the postgres project, which needs a server anyway.
 */
const SQLITE_ONLY = ['test/contract/sqlite.test.ts', 'test/adapters/sqlite/**/*.test.ts', 'test/unit/**/*.test.ts'];
const MARIADB_ONLY = ['test/contract/mariadb.test.ts', 'test/adapters/mariadb/**/*.test.ts'];

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'sqlite',
          include: SQLITE_ONLY,
        },
      },
      {
        test: {
          ...shared,
          name: 'postgres',
          // Everything else, so no test file is left out of `npm test`.
          include: ['test/**/*.test.ts'],
          exclude: [...SQLITE_ONLY, ...MARIADB_ONLY],
        },
      },
      {
        test: {
          ...shared,
          name: 'mariadb',
          include: MARIADB_ONLY,
        },
      },
    ],
  },
});
