import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresMigrator, type PostgresMigration } from '../../src/adapters/postgres/postgres-migrator.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { SqliteDatabase, openSqlite } from '../../src/adapters/sqlite/sqlite-database.js';
import { createSqliteMigrator, type SqliteMigration } from '../../src/adapters/sqlite/sqlite-migrator.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { diffSchemas } from '../../src/migrations/schema-diff.js';
import type { Migrator } from '../../src/ports/migrator.js';
import type { Store } from '../../src/ports/store.js';
import { postgresMigrations } from '../../src/migrations/postgres/index.js';
import { sqliteMigrations } from '../../src/migrations/sqlite/index.js';
import { admin, createPgDatabase, createSqlitePath } from '../support/databases.js';
import { cliArgs } from '../support/programs.js';

type CustomSet = 'good-then-bad' | 'future' | 'good' | 'good-edited';

/** Per engine: a store on a new empty database, and a migrator for a custom migration set on it. */
interface MigrationEngine {
  name: string;
  empty(): Promise<{
    store: Store;
    custom: (set: CustomSet) => Migrator;
    env: NodeJS.ProcessEnv;
    count: (sql: string) => Promise<number>;
    exec: (sql: string) => Promise<void>;
  }>;
  /** The `up` texts of this build's migration set, by name. */
  upTexts: Map<string, string>;
  /** SQL counting tables of that name. */
  tableExists(name: string): string;
}

const cleanups: (() => unknown)[] = [];

const sqlite: MigrationEngine = {
  name: 'sqlite',
  async empty() {
    const file = createSqlitePath();
    cleanups.push(file.remove);
    const store = new SqliteStore({ path: file.path });
    const database = new SqliteDatabase(openSqlite({ path: file.path }));
    cleanups.push(() => database.close());
    const sets: Record<string, SqliteMigration[]> = {
      'good-then-bad': [
        { name: '901_good', up: 'CREATE TABLE good_one (id INTEGER PRIMARY KEY)', down: 'DROP TABLE good_one' },
        { name: '902_bad', up: 'CREATE TABLE half_done (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);', down: '' },
      ],
      future: [],
      good: [{ name: '901_good', up: 'CREATE TABLE good_one (id INTEGER PRIMARY KEY)', down: 'DROP TABLE good_one' }],
      'good-edited': [{ name: '901_good', up: 'CREATE TABLE good_one (id INTEGER PRIMARY KEY, extra TEXT)', down: 'DROP TABLE good_one' }],
    };
    return {
      store,
      custom: (set) => createSqliteMigrator(database, sets[set]!),
      env: { TELECLAUDE_DB_PATH: file.path, TELECLAUDE_DB_ENGINE: 'sqlite' },
      count: (sql) => database.run((db) => (db.prepare(sql).get() as { n: number }).n),
      exec: (sql) => database.run((db) => void db.exec(sql)),
    };
  },
  upTexts: new Map(sqliteMigrations.map((m) => [m.name, typeof m.up === 'string' ? m.up : m.sql!])),
  tableExists: (name) => `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '${name}'`,
};

const postgres: MigrationEngine = {
  name: 'postgresql',
  async empty() {
    const db = await createPgDatabase('tc_migr');
    cleanups.push(db.drop);
    const store = new PostgresStore({ url: db.url }, db.url);
    const sets: Record<string, PostgresMigration[]> = {
      'good-then-bad': [
        { name: '901_good', up: 'CREATE TABLE good_one (id bigint PRIMARY KEY)', down: 'DROP TABLE good_one' },
        { name: '902_bad', up: 'CREATE TABLE half_done (id bigint PRIMARY KEY); INSERT INTO no_such_table VALUES (1);', down: '' },
      ],
      future: [],
      good: [{ name: '901_good', up: 'CREATE TABLE good_one (id bigint PRIMARY KEY)', down: 'DROP TABLE good_one' }],
      'good-edited': [{ name: '901_good', up: 'CREATE TABLE good_one (id bigint PRIMARY KEY, extra text)', down: 'DROP TABLE good_one' }],
    };
    return {
      store,
      custom: (set) => createPostgresMigrator({ url: db.url }, sets[set]!),
      env: { DATABASE_URL: db.url },
      count: async (sql) => {
        const { rows } = await (store as PostgresStore).database.query<{ n: number }>(sql);
        return rows[0]!.n;
      },
      exec: async (sql) => void (await (store as PostgresStore).database.query(sql)),
    };
  },
  upTexts: new Map(postgresMigrations.map((m) => [m.name, typeof m.up === 'string' ? m.up : m.sql!])),
  tableExists: (name) => `SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'r' AND relname = '${name}'`,
};

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...cliArgs(), ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.each([sqlite, postgres])('migrations on $name', (engine) => {
  let stores: Store[] = [];
  beforeAll(() => {
    stores = [];
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
  });
  async function empty() {
    const e = await engine.empty();
    stores.push(e.store);
    return e;
  }

  it('up applies every migration once, in order; a second up applies nothing', async () => {
    const { store } = await empty();
    const names = store.migrator.names();
    expect(await store.migrator.up()).toEqual(names);
    expect(await store.migrator.up()).toEqual([]);
    const state = await store.migrator.state();
    expect(state.applied.map((a) => a.name)).toEqual(names);
    expect(state.pending).toEqual([]);
    await expect(store.migrator.assertCurrent()).resolves.toBeUndefined();
  });

  it('assertCurrent refuses a database with pending migrations', async () => {
    const { store } = await empty();
    await expect(store.migrator.assertCurrent()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /pending/ });
  });

  it('down reverts the newest, --to reverts down to and including a name, --all reverts everything; up again gives the same schema', async () => {
    const { store } = await empty();
    const names = store.migrator.names();
    await store.migrator.up();
    const before = await store.inspector.schema();
    expect(await store.migrator.down()).toEqual([names.at(-1)]);
    await store.migrator.up();
    expect(await store.migrator.down({ to: names[0] })).toEqual([...names].reverse());
    expect((await store.inspector.schema()).tables).toEqual([]);
    await store.migrator.up({ to: names[0] });
    expect((await store.migrator.state()).applied.map((a) => a.name)).toEqual([names[0]]);
    await store.migrator.up();
    expect(await store.migrator.down({ all: true })).toEqual([...names].reverse());
    await store.migrator.up();
    expect(diffSchemas(before, await store.inspector.schema())).toEqual([]);
  });

  it('an unknown --to is refused with the known names', async () => {
    const { store } = await empty();
    await expect(store.migrator.up({ to: 'nope' })).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /unknown migration "nope"/ });
  });

  it('a failing migration leaves no trace: neither its tables nor its record', async () => {
    const { custom, count } = await empty();
    const migrator = custom('good-then-bad');
    await expect(migrator.up()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /902_bad/ });
    const state = await migrator.state();
    expect(state.applied.map((a) => a.name)).toEqual(['901_good']);
    expect(state.pending).toEqual(['902_bad']);
    expect(await count(engine.tableExists('half_done'))).toBe(0);
    expect(await count(engine.tableExists('good_one'))).toBe(1);
  });

  it('a database that records a migration unknown to this build is refused as newer', async () => {
    const { store, custom } = await empty();
    await store.migrator.up();
    // A build that knows no migrations sees every recorded one as unknown.
    const older = custom('future');
    await expect(older.up()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /newer than this build/ });
    await expect(older.assertCurrent()).rejects.toMatchObject({ message: /newer than this build/ });
    expect((await older.state()).unknown).toEqual(store.migrator.names());
  });

  it('ten `teleclaude-db migrate` processes at once all exit 0 and record every migration exactly once', async () => {
    const { store, env, count } = await empty();
    const results = await Promise.all(Array.from({ length: 10 }, () => runCli(['migrate'], env)));
    for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
    const applied = results.filter((r) => r.out.includes('applied ')).length;
    expect(applied).toBeGreaterThanOrEqual(1);
    const names = store.migrator.names();
    expect(await count('SELECT count(*) AS n FROM schema_migrations')).toBe(names.length);
    const state = await store.migrator.state();
    expect(state.applied.map((a) => a.name)).toEqual(names);
  }, 120_000);

  describe('checksums', () => {
    const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

    it('up records, per migration, the sha256 of the SQL it ran', async () => {
      const { store } = await empty();
      await store.migrator.up();
      const applied = (await store.migrator.state()).applied;
      expect(applied.map((a) => a.name)).toEqual(store.migrator.names());
      for (const a of applied) expect(a.checksum, a.name).toBe(sha256(engine.upTexts.get(a.name)!));
    });

    it('every code migration declares the SQL its checksum is taken of (compiled source differs between transpilers)', () => {
      for (const [name, text] of engine.upTexts) expect(typeof text === 'string' && text.length > 0, name).toBe(true);
    });

    it('an applied migration whose recorded checksum differs is refused by migrate, check and assertCurrent, naming it; --accept-changed records the new one', async () => {
      const { store, env, exec, count } = await empty();
      await store.migrator.up();
      const names = store.migrator.names();
      const victim = names[1]!;
      await exec(`UPDATE schema_migrations SET checksum = '${'0'.repeat(64)}' WHERE name = '${victim}'`);
      expect((await store.migrator.state()).changed).toEqual([victim]);
      await expect(store.migrator.up()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: new RegExp(`${victim} changed`) });
      await expect(store.migrator.assertCurrent()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: new RegExp(victim) });
      await expect(store.migrator.down()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: new RegExp(victim) });
      expect(await count('SELECT count(*) AS n FROM schema_migrations')).toBe(names.length);

      const migrate = await runCli(['migrate'], env);
      expect(migrate.code, migrate.out).not.toBe(0);
      expect(migrate.out).toContain(victim);
      expect(migrate.out).toContain('--accept-changed');
      const check = await runCli(['check'], env);
      expect(check.code, check.out).toBe(1);
      expect(check.out).toMatch(new RegExp(`PROBLEM .*${victim} changed`));

      const unknown = await runCli(['migrate', '--accept-changed', 'nope'], env);
      expect(unknown.code, unknown.out).not.toBe(0);
      expect(unknown.out).toContain('unknown migration "nope"');
      const accept = await runCli(['migrate', '--accept-changed', victim], env);
      expect(accept, accept.out).toMatchObject({ code: 0 });
      expect((await store.migrator.state()).applied.find((a) => a.name === victim)!.checksum).toBe(sha256(engine.upTexts.get(victim)!));
      const after = await runCli(['check'], env);
      expect(after, after.out).toMatchObject({ code: 0 });
    }, 60_000);

    it('a migration edited in the code after it was applied is refused, naming it, until accepted', async () => {
      const { custom, count } = await empty();
      expect(await custom('good').up()).toEqual(['901_good']);
      const edited = custom('good-edited');
      expect((await edited.state()).changed).toEqual(['901_good']);
      await expect(edited.up()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /901_good changed/ });
      await expect(edited.assertCurrent()).rejects.toMatchObject({ code: 'TC_MIGRATION', message: /901_good/ });
      await expect(edited.up({ acceptChanged: ['901_good'] })).resolves.toEqual([]);
      await expect(edited.assertCurrent()).resolves.toBeUndefined();
      // Now the original text is the changed one.
      await expect(custom('good').assertCurrent()).rejects.toMatchObject({ message: /901_good/ });
      expect(await count('SELECT count(*) AS n FROM schema_migrations')).toBe(1);
    });

    it('a database from before checksums passes check without being written, and migrate adds and backfills the column', async () => {
      const { store, env, exec, count } = await empty();
      await store.migrator.up();
      await exec('ALTER TABLE schema_migrations DROP COLUMN checksum');
      const columns =
        engine.name === 'sqlite'
          ? "SELECT count(*) AS n FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
          : "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'schema_migrations' AND column_name = 'checksum'";
      expect((await store.migrator.state()).applied.every((a) => a.checksum === null)).toBe(true);
      await expect(store.migrator.assertCurrent()).resolves.toBeUndefined();
      const check = await runCli(['check'], env);
      expect(check, check.out).toMatchObject({ code: 0 });
      expect(await count(columns)).toBe(0);
      const migrate = await runCli(['migrate'], env);
      expect(migrate, migrate.out).toMatchObject({ code: 0 });
      expect(await count(columns)).toBe(1);
      for (const a of (await store.migrator.state()).applied) expect(a.checksum, a.name).toBe(sha256(engine.upTexts.get(a.name)!));
    }, 60_000);
  });

  it('migrate --dry-run prints the SQL of each pending migration and changes nothing', async () => {
    const { store, env, exec } = await empty();
    const names = store.migrator.names();
    await store.migrator.up({ to: names[0] });
    const schema = await store.inspector.schema();
    const recorded = (await store.migrator.state()).applied;

    const dry = await runCli(['migrate', '--dry-run'], env);
    expect(dry, dry.out).toMatchObject({ code: 0 });
    expect(dry.out).toContain(`dry run on ${engine.name}`);
    expect(dry.out).not.toContain(`-- migration ${names[0]}`);
    for (const name of names.slice(1)) {
      expect(dry.out).toContain(`-- migration ${name}`);
      expect(dry.out).toContain(engine.upTexts.get(name)!.trim());
    }
    const json = await runCli(['migrate', '--dry-run', '--json', '--to', names[2]!], env);
    expect(json, json.out).toMatchObject({ code: 0 });
    const parsed = JSON.parse(json.out) as { dryRun: boolean; pending: { name: string; sql: string }[] };
    expect(parsed.dryRun).toBe(true);
    expect(parsed.pending.map((p) => p.name)).toEqual(names.slice(1, 3));
    expect(parsed.pending[0]!.sql).toBe(engine.upTexts.get(names[1]!));

    expect(diffSchemas(schema, await store.inspector.schema())).toEqual([]);
    expect((await store.migrator.state()).applied).toEqual(recorded);

    // It refuses what migrate would refuse, and still writes nothing.
    await exec(`UPDATE schema_migrations SET checksum = '${'0'.repeat(64)}' WHERE name = '${names[0]}'`);
    const refused = await runCli(['migrate', '--dry-run'], env);
    expect(refused.code, refused.out).not.toBe(0);
    expect(refused.out).toContain(`${names[0]} changed`);
    const accepted = await runCli(['migrate', '--dry-run', '--accept-changed', names[0]!], env);
    expect(accepted, accepted.out).toMatchObject({ code: 0 });
    expect((await store.migrator.state()).applied.map((a) => a.checksum)).toEqual(['0'.repeat(64)]);
    expect(diffSchemas(schema, await store.inspector.schema())).toEqual([]);
  }, 60_000);
});

describe('loading Umzug', () => {
  it('a process that only reads the migration state, or finds nothing pending, never loads Umzug; the first migration it runs does', async () => {
    const file = createSqlitePath();
    cleanups.push(file.remove);
    const storeModule = fileURLToPath(new URL('../../src/adapters/sqlite/sqlite-store.ts', import.meta.url));
    // Node's own module cache is the witness: a CommonJS package imported anywhere in the
    // process is in it under its resolved path.
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/node_modules/umzug/'));
      const { SqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = new SqliteStore({ path: ${JSON.stringify(file.path)}, backgroundCheckpointMs: 0 });
      const seen = { opened: loaded() };
      const state = await store.migrator.state();
      seen.state = loaded();
      await store.migrator.up();
      seen.up = loaded();
      seen.pending = state.pending.length;
      await store.close();
      console.log(JSON.stringify(seen));
    `;
    const run = () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`exit ${code}: ${out}`))));
      });
    // A new file: every migration pending, so up runs them and loads Umzug then.
    const first = await run();
    expect(first).toMatchObject({ opened: false, state: false, up: true });
    expect(first.pending).toBeGreaterThan(0);
    // The same file, now current: state and an up with nothing to do load nothing.
    expect(await run()).toEqual({ opened: false, state: false, up: false, pending: 0 });
  }, 60_000);
});

describe('PostgreSQL migration runs', () => {
  it('one `up` of every migration opens one connection, while a state asked meanwhile gets its own', async () => {
    const db = await createPgDatabase('tc_migrate_sessions');
    cleanups.push(db.drop);
    // The server counts the sessions established to each database (pg_stat_database.sessions).
    const sessions = () =>
      admin(async (c) => Number((await c.query<{ n: string }>('SELECT sessions AS n FROM pg_stat_database WHERE datname = $1', [db.name])).rows[0]!.n));
    const migrator = createPostgresMigrator({ url: db.url }, postgresMigrations);
    const before = await sessions();
    const [applied, state] = await Promise.all([migrator.up(), migrator.state()]);
    expect(applied).toEqual(postgresMigrations.map((m) => m.name));
    // The state ran beside the run: it saw some prefix of the migrations applied, and not from inside a step's transaction.
    expect(postgresMigrations.map((m) => m.name).slice(0, state.applied.length)).toEqual(state.applied.map((a) => a.name));
    // The run's connection and the state's own: not one per migration.
    expect(await sessions()).toBe(before + 2);
    expect((await migrator.state()).pending).toEqual([]);
  });
});
