#!/usr/bin/env node
// An installed package ships only the compiled dist/ and runs that. A source checkout runs
// the TypeScript source through tsx (a dev dependency), so the command always matches the
// code there (a stale dist/ is never picked up); without tsx it falls back to dist/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'run.ts');
const compiled = join(root, 'dist', 'src', 'cli', 'run.js');

function hasTsx() {
  try {
    createRequire(join(root, 'package.json')).resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

if (existsSync(source) && hasTsx()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write(`teleclaude-db: ${compiled} does not exist; run 'npm install' (for tsx) or 'npm run build' in ${root}\n`);
  process.exitCode = 1;
}
