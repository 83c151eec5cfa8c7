import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The layer arrows of docs/architecture.md, enforced. */
const layers = [
  {
    files: ['src/domain/**/*.ts'],
    patterns: [
      { group: ['**/ports/**', '**/adapters/**', '**/migrations/**', '**/config/**', '**/cli/**', '**/container*'], message: 'domain imports nothing but zod' },
      { group: ['pg', 'better-sqlite3', 'tsyringe', 'umzug'], message: 'domain imports nothing but zod' },
    ],
  },
  {
    files: ['src/ports/**/*.ts'],
    patterns: [{ group: ['**/adapters/**', '**/migrations/**', '**/config/**', '**/cli/**', '**/container*', 'pg', 'better-sqlite3'], message: 'ports import only domain' }],
  },
  {
    files: ['src/adapters/sqlite/**/*.ts', 'src/migrations/sqlite/**/*.ts'],
    patterns: [{ group: ['**/postgres/**', 'pg'], message: 'the SQLite adapter never imports the PostgreSQL adapter' }],
  },
  {
    files: ['src/adapters/postgres/**/*.ts', 'src/migrations/postgres/**/*.ts'],
    patterns: [{ group: ['**/sqlite/**', 'better-sqlite3'], message: 'the PostgreSQL adapter never imports the SQLite adapter' }],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...layers.map(({ files, patterns }) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } })),
);
