import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The engine folders (src/adapters/<engine>, with its migration set src/migrations/<engine>)
 * and each one's driver package, read from the `driver:` of its <engine>-engine.ts: the
 * isolation rules below cover however many engines there are, without listing pairs.
 */
const engines = readdirSync('src/adapters').map((folder) => {
  const descriptor = readFileSync(`src/adapters/${folder}/${folder}-engine.ts`, 'utf8');
  const driver = /\bdriver:\s*'([^']+)'/.exec(descriptor)?.[1];
  if (!driver) throw new Error(`src/adapters/${folder}/${folder}-engine.ts states no driver: '...'`);
  return { folder, driver };
});
const drivers = engines.map((e) => e.driver);

/** The layer arrows of docs/architecture.md, enforced. */
const layers = [
  {
    files: ['src/domain/**/*.ts'],
    patterns: [
      { group: ['**/ports/**', '**/adapters/**', '**/engines/**', '**/migrations/**', '**/config/**', '**/cli/**', '**/container*'], message: 'domain imports nothing but zod' },
      { group: [...drivers, 'tsyringe', 'umzug'], message: 'domain imports nothing but zod' },
    ],
  },
  {
    files: ['src/ports/**/*.ts'],
    patterns: [{ group: ['**/adapters/**', '**/engines/**', '**/migrations/**', '**/config/**', '**/cli/**', '**/container*', ...drivers], message: 'ports import only domain' }],
  },
  // An engine's adapter and migration set import no other engine's folders nor its driver.
  ...engines.map(({ folder, driver }) => {
    const others = engines.filter((e) => e.folder !== folder);
    return {
      files: [`src/adapters/${folder}/**/*.ts`, `src/migrations/${folder}/**/*.ts`],
      patterns: [
        {
          group: [...others.flatMap((o) => [`**/${o.folder}/**`, `../${o.folder}/**`]), ...others.map((o) => o.driver).filter((d) => d !== driver)],
          message: `the ${folder} engine never imports another engine's adapter, migrations or driver`,
        },
      ],
    };
  }),
  // Shared code reaches an engine only through the registry (src/engines/registry.ts) and the composition root.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/adapters/**', 'src/migrations/*/**', 'src/engines/registry.ts', 'src/domain/**', 'src/ports/**'],
    patterns: [{ group: ['**/adapters/**', ...engines.map((e) => `**/migrations/${e.folder}/**`)], message: 'shared code reaches an engine only through src/engines/registry.ts' }],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.vitest/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...layers.map(({ files, ignores, patterns }) => ({ files, ...(ignores ? { ignores } : {}), rules: { 'no-restricted-imports': ['error', { patterns }] } })),
);
