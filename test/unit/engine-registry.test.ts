import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskSecrets, resolveConfig } from '../../src/config/resolve-config.js';
import { databaseConfigSchema } from '../../src/config/config-schema.js';
import { implementationOf, loadImplementation, missingDriverError } from '../../src/container.js';
import { ConfigError } from '../../src/domain/errors.js';
import { DEFAULT_CAPABILITIES } from '../../src/engines/engine.js';
import {
  capabilitiesOf,
  DEFAULT_ENGINE,
  ENGINE_NAMES,
  ENGINES,
  engineForLocation,
  engineNamed,
  urlScheme,
  type AnyEngine,
} from '../../src/engines/registry.js';
import { runCopy } from '../support/copy-cli.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const cwd = mkdtempSync(join(tmpdir(), 'tc-registry-'));
made.push(cwd);

/** The error `fn` throws (undefined when it does not throw). */
function thrown(fn: () => unknown): (Error & { code?: string; key?: string }) | undefined {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string; key?: string };
  }
  return undefined;
}

describe('the engine registry', () => {
  it('lists the one descriptor of every engine folder of src/adapters, under unique names and schemes', async () => {
    const adapters = join(import.meta.dirname, '..', '..', 'src', 'adapters');
    const listed: unknown[] = [];
    for (const folder of readdirSync(adapters)) {
      // Each folder exports its descriptor from <folder>-engine.ts (sqlite/sqlite-engine.ts, ...).
      const module = (await import(join(adapters, folder, `${folder}-engine.ts`))) as Record<string, unknown>;
      const descriptors = Object.values(module).filter((value) => (ENGINES as readonly unknown[]).includes(value));
      expect(descriptors, `${folder}-engine.ts exports one registered engine`).toHaveLength(1);
      listed.push(descriptors[0]);
    }
    expect(new Set(listed).size).toBe(ENGINES.length);
    expect(new Set(ENGINE_NAMES).size).toBe(ENGINES.length);
    const schemes = ENGINES.flatMap((e) => e.schemes);
    expect(new Set(schemes).size).toBe(schemes.length);
    for (const scheme of schemes) expect(scheme).toMatch(/^[a-z][a-z0-9+.-]+$/);
    expect(ENGINES.filter((e) => e.acceptsPath)).toHaveLength(1);
    expect(DEFAULT_ENGINE).toBe('sqlite');
  });

  it('states each engine\'s capabilities over the defaults', () => {
    for (const engine of ENGINES) {
      const capabilities = capabilitiesOf(engine as AnyEngine);
      expect(Object.keys(capabilities).sort()).toEqual(Object.keys(DEFAULT_CAPABILITIES).sort());
      for (const value of Object.values(capabilities)) expect(typeof value).toBe('boolean');
    }
    expect(capabilitiesOf(engineNamed('sqlite')).networked).toBe(false);
    expect(capabilitiesOf(engineNamed('postgresql'))).toEqual({ transactionalDdl: true, partialIndexes: true, returningOnUpdate: true, networked: true });
    expect(capabilitiesOf(engineNamed('mariadb'))).toEqual({ transactionalDdl: false, partialIndexes: false, returningOnUpdate: false, networked: true });
  });

  it('an unknown engine name is a ConfigError naming the field and the choices', () => {
    const error = thrown(() => engineNamed('oracle', 'database.engine'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.key).toBe('database.engine');
    expect(error?.message).toMatch(/unknown engine "oracle"; must be "sqlite", "postgresql" or "mariadb"/);
    // Names are exact: no case folding, no aliases, nothing inherited from Object.prototype.
    for (const name of ['SQLite', 'postgres', '', 'constructor', '__proto__', 'toString']) expect(thrown(() => engineNamed(name))).toBeInstanceOf(ConfigError);
  });

  describe('recognising a location', () => {
    it.each([
      ['postgresql://tc@db/app', 'postgresql'],
      ['postgres://tc@db/app', 'postgresql'],
      ['POSTGRESQL://TC@DB/APP', 'postgresql'],
      ['PostGres://tc:p%40ss@db:5433/app?sslmode=require', 'postgresql'],
      ['teleclaude.db', 'sqlite'],
      ['/var/lib/tc/teleclaude.db', 'sqlite'],
      ['./postgresql:/x.db', 'sqlite'],
      ['postgresql.db', 'sqlite'],
      ['postgresql:relative.db', 'sqlite'],
      ['C:\\Users\\tc\\teleclaude.db', 'sqlite'],
      ['C:/Users/tc/teleclaude.db', 'sqlite'],
      ['c://x.db', 'sqlite'],
      ['~/.teleclaude/teleclaude.db', 'sqlite'],
      [':memory:', 'sqlite'],
      ['mariadb://root@127.0.0.1/test', 'mariadb'],
      ['MYSQL://root@db/test', 'mariadb'],
    ])('%s is %s', (location, engine) => {
      expect(engineForLocation(location, '--to').name).toBe(engine);
    });

    it.each(['oracle://root@127.0.0.1/test', 'MSSQL://root@db/test', 'mongodb://x', 'sqlite://x.db', 'file:///tmp/x.db', 'https://db.example/app', 'postgresqlx://db/app'])(
      '%s (a URL no registered engine takes) is a ConfigError naming the field, never read as a file path',
      (location) => {
        const error = thrown(() => engineForLocation(location, '--from'));
        expect(error).toBeInstanceOf(ConfigError);
        expect(error?.code).toBe('TC_CONFIG');
        expect(error?.key).toBe('--from');
        expect(error?.message).toContain(`${urlScheme(location)}://`);
        expect(error?.message).toContain('postgresql://, postgres://');
      },
    );

    it('the message of an unknown scheme never quotes the rest of the URL (it may hold a password)', () => {
      const error = thrown(() => engineForLocation('oracle://root:hunter2-secret@db/test', 'DATABASE_URL'));
      expect(error?.message).not.toContain('hunter2');
    });
  });

  describe('DATABASE_URL picks the engine by its scheme', () => {
    it('a postgres URL of any case selects PostgreSQL and fills its url', () => {
      const { database } = resolveConfig({ env: { DATABASE_URL: 'POSTGRES://tc@db/app' }, cwd });
      expect(database.engine).toBe('postgresql');
      expect(database.postgresql.url).toBe('POSTGRES://tc@db/app');
    });

    it.each(['oracle://root@127.0.0.1:1521/test', 'MSSQL://root@db/test', 'redis://cache:6379'])('an unknown scheme (%s) is a TC_CONFIG error naming DATABASE_URL', (url) => {
      const error = thrown(() => resolveConfig({ env: { DATABASE_URL: url }, cwd }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error?.key).toBe('DATABASE_URL');
      expect(error?.message).toMatch(/^config DATABASE_URL: the URL scheme [a-z]+:\/\/ is not one of a known engine/);
    });

    it('a path in DATABASE_URL is refused, pointing at the path variable', () => {
      const error = thrown(() => resolveConfig({ env: { DATABASE_URL: '/var/lib/tc.db' }, cwd }));
      expect(error?.key).toBe('DATABASE_URL');
      expect(error?.message).toMatch(/must be a URL .*not a file path: for SQLite set TELECLAUDE_DB_PATH/);
    });

    it('when TELECLAUDE_DB_ENGINE chose, a DATABASE_URL of another tool is left alone', () => {
      const { database } = resolveConfig({ env: { DATABASE_URL: 'mongodb://app@db/other', TELECLAUDE_DB_ENGINE: 'sqlite', TELECLAUDE_DB_PATH: '/x.db' }, cwd });
      expect(database.engine).toBe('sqlite');
      expect(database.sqlite.path).toBe('/x.db');
    });

    it('an unknown engine in TELECLAUDE_DB_ENGINE names the field and the variable', () => {
      const error = thrown(() => resolveConfig({ env: { TELECLAUDE_DB_ENGINE: 'oracle' }, cwd }));
      expect(error?.key).toBe('database.engine');
      expect(error?.message).toBe('config database.engine: must be "sqlite", "postgresql" or "mariadb" (from TELECLAUDE_DB_ENGINE)');
    });
  });

  it('every engine block gets its inner defaults when absent or partial (prefault, not default)', () => {
    const parsed = databaseConfigSchema.parse({ postgresql: { pool: {} } });
    expect(parsed.engine).toBe('sqlite');
    expect(parsed.sqlite).toEqual({ path: '~/.teleclaude/teleclaude.db', busyTimeoutMs: 5000, backgroundCheckpointMs: 100, checkpointIntervalMs: 300_000 });
    expect(parsed.postgresql.pool).toEqual({ min: 0, max: 10, idleTimeoutMs: 30_000 });
    expect(parsed.postgresql.statementTimeoutMs).toBe(30_000);
    for (const engine of ENGINES) expect(engine.config.parse({})).toEqual((parsed as Record<string, unknown>)[engine.name]);
  });
});

describe('copy --from/--to through the registry', () => {
  const copy = (...args: string[]) => runCopy(args, cwd);

  it.each([
    ['--to', 'oracle://root:hunter2-secret@127.0.0.1:1521/test'],
    ['--to', 'MSSQL://root@db/test'],
    ['--from', 'oracle://root@127.0.0.1/test'],
  ])('%s %s (a URL of no registered engine) is refused naming the option; no file is created', async (option, url) => {
    const before = readdirSync(cwd);
    const args = option === '--to' ? ['--from', join(cwd, 'absent.db'), '--to', url] : ['--from', url, '--to', join(cwd, 'never.db')];
    const result = await copy(...args);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(new RegExp(`config ${option}: the URL scheme [a-z]+:// is not one of a known engine \\(postgresql://, postgres://, mariadb://, mysql://\\)`));
    expect(result.output).toContain('[TC_CONFIG]');
    expect(result.output).not.toContain('hunter2');
    expect(readdirSync(cwd)).toEqual(before);
  });

  it('masks the password of a URL of any scheme', () => {
    expect(maskSecrets('cannot reach mariadb://root:hunter2-secret@db:3306/test now')).toBe('cannot reach mariadb://root:****@db:3306/test now');
    expect(maskSecrets('MYSQL://u:p%40ss@h/d?password=other')).toBe('MYSQL://u:****@h/d?password=****');
  });
});

describe('a missing driver', () => {
  // A real import of a package that is not installed, as a project without the driver meets it.
  const absent = 'tc-absent-driver-for-registry-test';
  const engine = { ...engineNamed('sqlite'), name: 'absentdb', driver: absent, load: () => import(/* @vite-ignore */ absent) } as unknown as AnyEngine;

  it('leaves the engine out when its driver package cannot be found', async () => {
    await expect(loadImplementation(engine)).resolves.toBeUndefined();
  });

  it('rethrows any other failure to load (a missing module that is not the driver)', async () => {
    const other = 'tc-some-other-missing-package';
    const broken = { ...engine, load: () => import(/* @vite-ignore */ other) } as AnyEngine;
    await expect(loadImplementation(broken)).rejects.toMatchObject({ code: expect.stringMatching(/MODULE_NOT_FOUND/) });
  });

  it('choosing it is a ConfigError (TC_CONFIG) with the install command', () => {
    const error = thrown(() => implementationOf(engine));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.code).toBe('TC_CONFIG');
    expect(error?.message).toBe(`config database.engine: engine absentdb needs the '${absent}' package, which is not installed; install it in your project with: npm install ${absent}`);
    expect(missingDriverError(engineNamed('postgresql')).message).toContain('npm install pg');
  });

  it('the installed engines are loaded', () => {
    for (const engine of ENGINES) expect(typeof implementationOf(engine as AnyEngine).createStore).toBe('function');
  });
});
