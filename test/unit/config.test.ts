import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskSecrets, resolveConfig } from '../../src/config/resolve-config.js';
import { describeLocation } from '../../src/container.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function dirWith(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-config-'));
  made.push(dir);
  if (yaml !== undefined) writeFileSync(join(dir, 'teleclaude.yml'), yaml);
  return dir;
}

const none = { env: {}, cwd: dirWith() };

describe('configuration', () => {
  it('no file and no environment means SQLite at ~/.teleclaude/teleclaude.db with defaults', () => {
    const { database, file } = resolveConfig(none);
    expect(file).toBeNull();
    expect(database.engine).toBe('sqlite');
    expect(database.sqlite.path).toBe(join(homedir(), '.teleclaude', 'teleclaude.db'));
    expect(database.sqlite.busyTimeoutMs).toBe(5000);
    expect(database.postgresql.pool).toEqual({ min: 0, max: 10, idleTimeoutMs: 30000 });
    expect(database.postgresql.schema).toBe('public');
  });

  it('reads ./teleclaude.yml, and nested defaults survive a partial block', () => {
    const cwd = dirWith('database:\n  engine: postgresql\n  postgresql:\n    host: db.local\n    pool: { max: 3 }\n');
    const { database, file } = resolveConfig({ env: {}, cwd });
    expect(file).toBe(join(cwd, 'teleclaude.yml'));
    expect(database.engine).toBe('postgresql');
    expect(database.postgresql.host).toBe('db.local');
    expect(database.postgresql.pool).toEqual({ min: 0, max: 3, idleTimeoutMs: 30000 });
    expect(database.postgresql.statementTimeoutMs).toBe(30000);
  });

  it('--config wins over TELECLAUDE_CONFIG, which wins over ./teleclaude.yml', () => {
    const cwd = dirWith('database:\n  sqlite: { path: /from/cwd.db }\n');
    const envDir = dirWith('database:\n  sqlite: { path: /from/env.db }\n');
    const flagDir = dirWith('database:\n  sqlite: { path: /from/flag.db }\n');
    const env = { TELECLAUDE_CONFIG: join(envDir, 'teleclaude.yml') };
    expect(resolveConfig({ env: {}, cwd }).database.sqlite.path).toBe('/from/cwd.db');
    expect(resolveConfig({ env, cwd }).database.sqlite.path).toBe('/from/env.db');
    expect(resolveConfig({ env, cwd, configPath: join(flagDir, 'teleclaude.yml') }).database.sqlite.path).toBe('/from/flag.db');
  });

  it('a missing --config file is an error naming the path', () => {
    expect(() => resolveConfig({ ...none, configPath: '/no/such/file.yml' })).toThrow(/\/no\/such\/file.yml does not exist/);
  });

  it('precedence: explicit overrides > environment > file > defaults', () => {
    const cwd = dirWith('database:\n  engine: sqlite\n  sqlite: { path: /file.db, busyTimeoutMs: 100 }\n');
    const env = { TELECLAUDE_DB_PATH: '/env.db' };
    const fromEnv = resolveConfig({ env, cwd }).database;
    expect(fromEnv.sqlite).toMatchObject({ path: '/env.db', busyTimeoutMs: 100 });
    const explicit = resolveConfig({ env, cwd, overrides: { sqlite: { path: '/explicit.db' } } }).database;
    expect(explicit.sqlite.path).toBe('/explicit.db');
  });

  it('DATABASE_URL selects PostgreSQL unless TELECLAUDE_DB_ENGINE says otherwise; PG* variables fill the parts', () => {
    const url = 'postgresql://tc:pw@db:5432/teleclaude';
    expect(resolveConfig({ env: { DATABASE_URL: url }, cwd: none.cwd }).database.engine).toBe('postgresql');
    expect(resolveConfig({ env: { DATABASE_URL: url, TELECLAUDE_DB_ENGINE: 'sqlite' }, cwd: none.cwd }).database.engine).toBe('sqlite');
    const parts = resolveConfig({
      env: { TELECLAUDE_DB_ENGINE: 'postgresql', PGHOST: 'h', PGPORT: '6543', PGDATABASE: 'd', PGUSER: 'u', PGPASSWORD: 'p' },
      cwd: none.cwd,
    }).database.postgresql;
    expect(parts).toMatchObject({ host: 'h', port: 6543, database: 'd', user: 'u', password: 'p' });
  });

  it.each([
    ['engine: oracle', 'database.engine', /must be "sqlite", "postgresql" or "mariadb"/],
    ['postgresql: { port: abc }', 'database.postgresql.port', /must be a number/],
    ['postgresql: { port: 70000 }', 'database.postgresql.port', /at most 65535/],
    ['postgresql: { pool: { max: 0 } }', 'database.postgresql.pool.max', /positive/],
    ['postgresql: { schema: "a; drop" }', 'database.postgresql.schema', /identifier/],
    ['postgresql: { url: "mysql://x" }', 'database.postgresql.url', /postgresql:\/\//],
    ['sqlite: { busyTimeoutMs: -1 }', 'database.sqlite.busyTimeoutMs', /negative/],
    ['sqlite: { pth: x }', 'database.sqlite', /unknown key\(s\) pth/],
  ])('invalid config "%s" fails naming %s', (block, key, reason) => {
    const cwd = dirWith(`database:\n  ${block}\n`);
    let error: (Error & { code?: string; key?: string }) | undefined;
    try {
      resolveConfig({ env: {}, cwd });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('TC_CONFIG');
    expect(error?.key).toBe(key);
    expect(error?.message).toContain(key);
    expect(error?.message).toMatch(reason);
  });

  it('an invalid environment value names the key and the variable', () => {
    expect(() => resolveConfig({ env: { TELECLAUDE_DB_ENGINE: 'postgresql', PGPORT: 'x1' }, cwd: none.cwd })).toThrow(
      /database\.postgresql\.port: must be a number \(from PGPORT\)/,
    );
  });

  it('locations never show a password, from a URL or from the parts', () => {
    const secret = 'hunter2-secret';
    const byUrl = resolveConfig({ env: { DATABASE_URL: `postgresql://tc:${secret}@db:5432/app` }, cwd: none.cwd }).database;
    expect(describeLocation(byUrl)).toBe('postgresql://tc:****@db:5432/app');
    const byParts = resolveConfig({
      env: { TELECLAUDE_DB_ENGINE: 'postgresql', PGUSER: 'tc', PGPASSWORD: secret, PGHOST: 'db' },
      cwd: none.cwd,
    }).database;
    expect(describeLocation(byParts)).not.toContain(secret);
    expect(maskSecrets(`failed for postgres://a:${secret}@h/x and ${secret}`, secret)).not.toContain(secret);
  });

  it('postgresql.listen: true by default, false from the file, anything else refused naming the key', () => {
    expect(resolveConfig(none).database.postgresql.listen).toBe(true);
    const off = dirWith('database:\n  engine: postgresql\n  postgresql:\n    host: db\n    listen: false\n');
    expect(resolveConfig({ env: {}, cwd: off }).database.postgresql.listen).toBe(false);
    const bad = dirWith('database:\n  postgresql:\n    listen: "no"\n');
    expect(() => resolveConfig({ env: {}, cwd: bad })).toThrow(/database\.postgresql\.listen: must be true or false/);
  });

  it('a YAML file without a database block means the defaults', () => {
    const cwd = dirWith('telegram:\n  token: x\n');
    expect(resolveConfig({ env: {}, cwd }).database.engine).toBe('sqlite');
  });
});
