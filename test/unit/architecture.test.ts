import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../../src/engines/registry.js';

const root = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...[...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
  ];
}

/** The modules `file` imports for their values (not `import type`), bare ones included, as written. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...[...text.matchAll(/^\s*(?:import|export)(?!\s+type\b)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
  ];
}

/** Every package that loading `file` loads, following its relative value imports (the .js specifiers name .ts files). */
function packagesLoadedBy(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  for (const spec of valueImports(file)) {
    if (spec.startsWith('.')) for (const p of packagesLoadedBy(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen)) packages.add(p);
    else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return packages;
}

/** The engine folders (src/adapters/<folder>, src/migrations/<folder>) and each one's driver, from its <folder>-engine.ts. */
const engineFolders = readdirSync(join(root, 'src', 'adapters')).map((folder) => {
  const descriptor = readFileSync(join(root, 'src', 'adapters', folder, `${folder}-engine.ts`), 'utf8');
  return { folder, driver: /\bdriver:\s*'([^']+)'/.exec(descriptor)?.[1] ?? '' };
});

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
    expect(violations('src/ports', new RegExp(`adapters|engines|migrations|config|cli|container|tsyringe|${engineFolders.map((e) => `^${e.driver}$`).join('|')}`))).toEqual([]);
  });
  it('there is an engine folder per registered engine, each naming its driver', () => {
    expect(engineFolders.length).toBe(ENGINES.length);
    expect(engineFolders.map((e) => e.driver).sort()).toEqual(ENGINES.map((e) => e.driver).sort());
    expect(readdirSync(join(root, 'src', 'migrations')).filter((f) => statSync(join(root, 'src', 'migrations', f)).isDirectory()).sort()).toEqual(
      engineFolders.map((e) => e.folder).sort(),
    );
  });

  it('no engine imports another engine\'s adapter, migrations or driver', () => {
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const { folder, driver } of engineFolders) {
      const others = engineFolders.filter((e) => e.folder !== folder);
      if (others.length === 0) continue;
      const forbidden = new RegExp(
        [...others.map((o) => `(^|/)${escape(o.folder)}/`), ...others.filter((o) => o.driver !== driver).map((o) => `^${escape(o.driver)}(/|$)`)].join('|'),
      );
      expect(violations(`src/adapters/${folder}`, forbidden)).toEqual([]);
      expect(violations(`src/migrations/${folder}`, forbidden)).toEqual([]);
    }
  });

  it('shared code reaches an engine only through the registry', () => {
    const shared = files(join(root, 'src')).filter((f) => {
      const path = relative(join(root, 'src'), f);
      return !path.startsWith('adapters/') && !/^migrations\/[^/]+\//.test(path) && path !== 'engines/registry.ts';
    });
    const engineModule = new RegExp(`(^|/)(adapters|${engineFolders.map((e) => `migrations/${e.folder}`).join('|')})/`);
    const drivers = new Set(engineFolders.map((e) => e.driver));
    const offenders = shared.flatMap((file) =>
      valueImports(file)
        .filter((spec) => engineModule.test(spec) || drivers.has(spec))
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('an engine\'s descriptor, the registry and config resolution load no driver (only the implementation does)', () => {
    const drivers = ENGINES.map((e) => e.driver);
    const entries = [
      ...engineFolders.map((e) => join(root, 'src', 'adapters', e.folder, `${e.folder}-engine.ts`)),
      join(root, 'src', 'engines', 'registry.ts'),
      join(root, 'src', 'config', 'resolve-config.ts'),
    ];
    for (const entry of entries) expect([...packagesLoadedBy(entry)].filter((p) => drivers.includes(p)), relative(root, entry)).toEqual([]);
    // ...and the walk does find a driver where there is one.
    for (const e of engineFolders) expect(packagesLoadedBy(join(root, 'src', 'adapters', e.folder, `${e.folder}-implementation.ts`)).has(e.driver)).toBe(true);
  });

  it('no engine-name branching outside the engines\' own folders', () => {
    const names = [...ENGINES.map((e) => e.name), ...engineFolders.map((e) => e.folder)].map((n) => n.replace(/[^a-z0-9]/g, ''));
    const literal = `['"](${names.join('|')})['"]`;
    const branch = new RegExp(`(\\b(engine|name|kind)\\s*[!=]==?\\s*${literal})|(${literal}\\s*[!=]==?)|(case\\s+${literal})`);
    const offenders = files(join(root, 'src'))
      .filter((f) => !/\/src\/(adapters|migrations\/[^/]+)\//.test(f))
      .filter((f) => branch.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });
});
