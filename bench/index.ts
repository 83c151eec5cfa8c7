/**
 * `npm run bench [-- NAME ...]`: runs every `bench/*.bench.ts` section (or those whose
 * file name contains one of the NAMEs) one after another and prints their tables.
 * Needs PostgreSQL like the tests: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
 * the local server on 127.0.0.1:5432.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const sections = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => filters.length === 0 || filters.some((name) => f.includes(name)));

if (sections.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(2);
}
// The runtime matters to the ratios: better-sqlite3 builds rows through a faster V8 API
// only when compiled for Node >= 22 (see the copy bench in the README).
console.log(`node ${process.version}, ${availableParallelism()} cores`);
for (const file of sections) {
  console.log(`\n=== ${file}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
  await mod.default();
}
