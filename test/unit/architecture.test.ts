import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

function violations(folder: string, forbidden: RegExp): string[] {
  return files(join(root, folder)).flatMap((file) =>
    imports(file)
      .filter((spec) => forbidden.test(spec))
      .map((spec) => `${relative(root, file)} imports ${spec}`),
  );
}

describe('layer arrows point down only', () => {
  it('domain imports nothing but zod and itself', () => {
    expect(violations('src/domain', /^(?!zod$|\.\/)/)).toEqual([]);
  });
  it('ports import only domain', () => {
    expect(violations('src/ports', /adapters|migrations|config|cli|container|^pg$|better-sqlite3|tsyringe/)).toEqual([]);
  });
  it('the SQLite adapter never imports the PostgreSQL adapter, nor the reverse', () => {
    expect(violations('src/adapters/sqlite', /postgres|^pg$/)).toEqual([]);
    expect(violations('src/adapters/postgres', /sqlite/)).toEqual([]);
    expect(violations('src/migrations/sqlite', /postgres/)).toEqual([]);
    expect(violations('src/migrations/postgres', /sqlite/)).toEqual([]);
  });
  it('no engine-name branching outside the composition root', () => {
    const offenders = files(join(root, 'src'))
      .filter((f) => !f.endsWith('container.ts'))
      .filter((f) => /engine\s*===?\s*['"](sqlite|postgresql)['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });
});
