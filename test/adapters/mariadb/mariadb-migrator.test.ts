import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMariadbDatabase, type MariadbDatabase } from '../../../src/adapters/mariadb/mariadb-database.js';
import { createMariadbMigrator, splitStatements, type MariadbMigration } from '../../../src/adapters/mariadb/mariadb-migrator.js';
import { MigrationError } from '../../../src/domain/errors.js';
import { createMariadbTestDatabase, mariadbAdmin } from '../../support/databases.js';

/*
 * MariaDB commits every DDL statement on its own, so a migration cannot commit with its
 * record. The guarantee tested here: a migration is recorded as applied only when all of
 * it ran; one that stopped half-way (a failing statement, a lost connection) refuses the
 * database on every later run, naming itself, until an operator repairs it; one that
 * failed before changing anything stays pending.
 */

const ok = (name: string, table: string): MariadbMigration => ({
  name,
  up: `CREATE TABLE ${table} (id INT PRIMARY KEY);\nINSERT INTO ${table} (id) VALUES (1);\n`,
  down: `DROP TABLE ${table};\n`,
});

let db: Awaited<ReturnType<typeof createMariadbTestDatabase>>;
let probe: MariadbDatabase;

beforeAll(async () => {
  db = await createMariadbTestDatabase('tc_migrator');
  probe = createMariadbDatabase({ url: db.url });
});
afterAll(async () => {
  await probe?.close();
  await db?.drop();
});
afterEach(async () => {
  const { rows } = await probe.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()");
  for (const { name } of rows) await probe.query(`DROP TABLE \`${name}\``);
});

async function tables(): Promise<string[]> {
  const { rows } = await probe.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations' ORDER BY table_name",
  );
  return rows.map((r) => r.name);
}

function migrator(migrations: MariadbMigration[], options: { migrationLockTimeoutMs?: number } = {}) {
  return createMariadbMigrator({ url: db.url, ...options }, migrations);
}

describe('splitStatements', () => {
  it('splits at a ; that ends a line, keeps ; inside a line, drops empty statements', () => {
    expect(splitStatements("CREATE TABLE a (x TEXT DEFAULT ';');\n\n  INSERT INTO a VALUES ('b;c');  \nSELECT 1")).toEqual([
      "CREATE TABLE a (x TEXT DEFAULT ';')",
      "INSERT INTO a VALUES ('b;c')",
      'SELECT 1',
    ]);
    expect(splitStatements(';\n;\n')).toEqual([]);
  });
});

describe('MariaDB migrator', () => {
  it('applies, records, reports and reverts a set; every statement of a migration runs', async () => {
    const m = migrator([ok('001_a', 'ta'), ok('002_b', 'tb')]);
    expect((await m.state()).pending).toEqual(['001_a', '002_b']);
    expect(await m.up()).toEqual(['001_a', '002_b']);
    expect((await probe.query('SELECT id FROM tb')).rows).toEqual([{ id: 1 }]);
    const state = await m.state();
    expect(state.applied.map((a) => a.name)).toEqual(['001_a', '002_b']);
    expect(state.applied.every((a) => a.checksum?.length === 64 && a.appliedAt instanceof Date)).toBe(true);
    await m.assertCurrent();
    expect(await m.down()).toEqual(['002_b']);
    expect(await tables()).toEqual(['ta']);
    expect(await m.reset()).toEqual(['001_a']);
    expect(await tables()).toEqual([]);
    expect((await probe.query("SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'")).rows).toEqual([]);
  });

  it('concurrent migrators (separate connections) apply each migration exactly once', async () => {
    const set = [ok('001_a', 'ta'), ok('002_b', 'tb'), ok('003_c', 'tc')];
    const results = await Promise.all([migrator(set).up(), migrator(set).up(), migrator(set).up()]);
    expect(results.flat().sort()).toEqual(['001_a', '002_b', '003_c']);
    expect((await migrator(set).state()).applied.map((a) => a.name)).toEqual(['001_a', '002_b', '003_c']);
    // A second run of a migration would have failed on its CREATE TABLE or its INSERT.
    for (const t of ['ta', 'tb', 'tc']) expect((await probe.query(`SELECT COUNT(*) AS n FROM ${t}`)).rows).toEqual([{ n: 1 }]);
  });

  it('a migration that fails half-way is never recorded as applied, and every later run refuses the database naming it', async () => {
    const broken: MariadbMigration = {
      name: '002_broken',
      up: 'CREATE TABLE half_done (id INT PRIMARY KEY);\nCREATE TABLE half_done_too (id INT PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x INT;\nCREATE TABLE never (id INT);\n',
      down: 'DROP TABLE half_done_too;\nDROP TABLE half_done;\n',
    };
    const m = migrator([ok('001_a', 'ta'), broken, ok('003_c', 'tc')]);
    const error = await m.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/migration 002_broken is half-done: applying it stopped after 2 recorded statement\(s\)/);
    expect((error as Error).message).toMatch(/no_such_table/);
    // MariaDB committed the first two statements: the schema holds part of the migration.
    expect(await tables()).toEqual(['half_done', 'half_done_too', 'ta']);

    // A new process (a new migrator) is refused by every entry point, naming the migration.
    const next = migrator([ok('001_a', 'ta'), broken, ok('003_c', 'tc')]);
    for (const attempt of [() => next.state(), () => next.up(), () => next.plan(), () => next.assertCurrent(), () => next.down(), () => next.reset()]) {
      const refusal = await attempt().catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(MigrationError);
      expect((refusal as Error).message).toMatch(/migration 002_broken is half-done/);
      expect((refusal as Error).message).toMatch(/DELETE FROM schema_migrations WHERE name = '002_broken'/);
    }
    expect(await tables()).toEqual(['half_done', 'half_done_too', 'ta']);

    // The operator undoes what ran and removes the record, as the message says; a fixed migration then applies.
    await probe.query('DROP TABLE half_done_too, half_done');
    await probe.query("DELETE FROM schema_migrations WHERE name = '002_broken'");
    const fixed = migrator([ok('001_a', 'ta'), { ...broken, up: (broken.up as string).replace('ALTER TABLE no_such_table ADD COLUMN x INT;\n', '') }, ok('003_c', 'tc')]);
    expect(await fixed.up()).toEqual(['002_broken', '003_c']);
    expect(await tables()).toEqual(['half_done', 'half_done_too', 'never', 'ta', 'tc']);
  });

  it('a migration whose first change fails leaves nothing behind and stays pending', async () => {
    const failing: MariadbMigration = { name: '002_x', up: 'SELECT 1;\nCREATE TABLE ta (id INT);\nCREATE TABLE tx (id INT);\n', down: 'DROP TABLE tx;\n' };
    const m = migrator([ok('001_a', 'ta'), failing]);
    const error = await m.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/already exists/);
    expect((error as Error).message).not.toMatch(/half-done/);
    const state = await m.state();
    expect(state.applied.map((a) => a.name)).toEqual(['001_a']);
    expect(state.pending).toEqual(['002_x']);
    expect(await tables()).toEqual(['ta']);
  });

  it('a connection lost in the middle of a migration leaves it recorded as unfinished, refused on the next run', async () => {
    const killed: MariadbMigration = {
      name: '002_killed',
      up: async (tx) => {
        await tx.query('CREATE TABLE before_kill (id INT)');
        const { rows } = await tx.query<{ id: number }>('SELECT CONNECTION_ID() AS id');
        await mariadbAdmin((admin) => admin.query(`KILL CONNECTION ${Number(rows[0]!.id)}`));
        await tx.query('CREATE TABLE after_kill (id INT)');
      },
      sql: 'CREATE TABLE before_kill (id INT); CREATE TABLE after_kill (id INT)',
      down: 'DROP TABLE before_kill;\n',
    };
    const error = await migrator([ok('001_a', 'ta'), killed]).up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(await tables()).toEqual(['before_kill', 'ta']);
    const refusal = await migrator([ok('001_a', 'ta'), killed]).assertCurrent().catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(MigrationError);
    expect((refusal as Error).message).toMatch(/migration 002_killed is half-done: applying it stopped after 1 recorded statement/);
    expect((refusal as Error).message).toMatch(/the process ended before it finished/);
  });

  it('a revert that fails half-way is refused the same way', async () => {
    const m = migrator([ok('001_a', 'ta'), { name: '002_b', up: 'CREATE TABLE tb (id INT);\nCREATE TABLE tb2 (id INT);\n', down: 'DROP TABLE tb2;\nDROP TABLE no_such;\n' }]);
    await m.up();
    const error = await m.down().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/migration 002_b is half-done: reverting it stopped after 1 recorded statement/);
    await expect(m.up()).rejects.toThrow(/migration 002_b is half-done: reverting/);
    expect(await tables()).toEqual(['ta', 'tb']);
  });

  it('an edited applied migration is refused until accepted; its new checksum is then recorded', async () => {
    await migrator([ok('001_a', 'ta')]).up();
    const edited = { ...ok('001_a', 'ta'), up: ok('001_a', 'ta').up + '-- edited\n' };
    await expect(migrator([edited]).up()).rejects.toThrow(/applied migration\(s\) 001_a changed/);
    await migrator([edited]).up({ acceptChanged: ['001_a'] });
    expect((await migrator([edited]).state()).changed).toEqual([]);
  });

  it('waits for another migrator\'s lock at most migrationLockTimeoutMs, then fails changing nothing', async () => {
    await mariadbAdmin(async (admin) => {
      await admin.transaction(async (holder) => {
        await holder.query(`SELECT GET_LOCK(CONCAT('tc_migrate_', SHA1(?)), 0)`, [db.name]);
        const started = Date.now();
        const error = await migrator([ok('001_a', 'ta')], { migrationLockTimeoutMs: 400 })
          .up()
          .catch((e: unknown) => e);
        expect(Date.now() - started).toBeGreaterThanOrEqual(350);
        expect(error).toBeInstanceOf(MigrationError);
        expect((error as Error).message).toMatch(/held the migration lock of this database for more than 400 ms; nothing was changed/);
        await holder.query(`SELECT RELEASE_LOCK(CONCAT('tc_migrate_', SHA1(?)))`, [db.name]);
      });
    });
    expect(await tables()).toEqual([]);
  });
});
