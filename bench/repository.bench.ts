/**
 * Repository overhead: SessionRepository create/get/update/list against the very same SQL
 * issued directly on the raw driver (better-sqlite3 prepared statements; pg and mysql2 on
 * the store's own pool), with Kysely on the same schema as a peer row: each query built and
 * compiled once (then run with new parameters), on SQLite through a connection that
 * prepares each statement once, as the raw side does. Measured interleaved in rounds, the
 * same number for the repository and for Kysely. On SQLite also the array-mode floor: the
 * raw side's prepared statements in `.raw(true)` mode, rows left as arrays and unmapped; on
 * PostgreSQL (direct) the floor is the raw side's statements prepared (named, as the store
 * prepares its own) in array mode, unmapped.
 * Then an empty `store.transaction` against BEGIN/COMMIT on the raw driver.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Compilable, type CompiledQuery, type Generated, type SqliteDatabase, type SqliteStatement } from 'kysely';
import mysql from 'mysql2';
import pg from 'pg';
import { MariadbStore } from '../src/adapters/mariadb/mariadb-store.js';
import { PostgresStore } from '../src/adapters/postgres/postgres-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import type { Store } from '../src/ports/store.js';
import { pgbouncerUnavailable, startPgBouncer } from '../test/support/pgbouncer.js';
import { benchMariadbDatabase, benchPgDatabase, benchSqlitePath } from './databases.js';
import { benchObserve } from './observe.js';
import { printTable, sideBySide, target, type Measured } from './report.js';

interface SessionsTable {
  id: string;
  computer_name: string;
  title: string;
  created_at: unknown;
  last_activity: unknown;
  closed_at: unknown;
  lifecycle_status: Generated<string>;
  [column: string]: unknown;
}
interface Db {
  sessions: SessionsTable;
}

/** The four operations, implemented three ways. */
interface Implementation {
  create(i: number): Promise<unknown> | unknown;
  get(i: number): Promise<unknown> | unknown;
  update(i: number): Promise<unknown> | unknown;
  list(i: number): Promise<unknown> | unknown;
}

const OPS = ['create', 'get', 'update', 'list'] as const;
/**
 * PostgreSQL and MariaDB: 20 rounds of 100 operations per side. Their operations take about
 * a millisecond, mostly waiting on the server, whose commit flushes and background work come
 * in bursts; short alternating rounds spread such bursts over both sides.
 */
const NETWORK_ROUNDS = 20;
const NETWORK_PER_ROUND = 100;

let renames = 0;
/**
 * The title an update writes, new on every call whichever side makes it. The two sides of
 * a pair run over the same `i` (and warm-up runs repeat them), so a title made of `i` alone
 * had the second side write the very title the first had just written: InnoDB then
 * changes nothing ("Rows matched: 1  Changed: 0"), writes no redo, and the COMMIT has
 * nothing to flush, so on MariaDB the raw side skipped the log flush the repository paid.
 */
const renamed = (i: number) => `renamed ${i}.${++renames}`;

/**
 * Runs a Kysely query compiled once with new parameters; `order` turns the call's values
 * into the compiled query's parameters. Checks once that the compiled parameters are the
 * template's, in that order, so the substitution cannot silently bind the wrong columns.
 */
function compiledOnce<T>(kdb: Kysely<Db>, query: Compilable, template: unknown[]): (params: unknown[]) => Promise<T | undefined> {
  const compiled: CompiledQuery = query.compile();
  if (JSON.stringify(compiled.parameters) !== JSON.stringify(template)) {
    throw new Error(`kysely compiled ${JSON.stringify(compiled.parameters)} for ${compiled.sql}, expected ${JSON.stringify(template)}`);
  }
  return async (parameters) => (await kdb.executeQuery<T>({ ...compiled, parameters })).rows[0];
}

/** better-sqlite3 behind Kysely's SqliteDialect, each statement prepared once (the stock driver prepares on every call). */
function preparingOnce(db: Database.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare: (sql) => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql) as unknown as SqliteStatement));
      return statement;
    },
  };
}

/** The four operations on Kysely, each query compiled once; `now` is the timestamp value of the engine. */
function kyselyImpl(kdb: Kysely<Db>, ids: string[], defaults: Record<string, unknown>, now: () => unknown): Implementation {
  const row = (i: number) => {
    const at = now();
    return { ...defaults, id: randomUUID(), computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: at, last_activity: at, closed_at: null };
  };
  const template = row(0);
  const create = compiledOnce(kdb, kdb.insertInto('sessions').values(template).returningAll(), Object.values(template));
  const get = compiledOnce(kdb, kdb.selectFrom('sessions').selectAll().where('id', '=', ids[0]!), [ids[0]]);
  const update = compiledOnce(kdb, kdb.updateTable('sessions').set({ title: 'renamed' }).where('id', '=', ids[0]!).returningAll(), ['renamed', ids[0]]);
  const list = kdb
    .selectFrom('sessions')
    .selectAll()
    .where('computer_name', '=', 'list-0')
    .where('lifecycle_status', 'in', ['active'])
    .where('closed_at', 'is', null)
    .orderBy('last_activity', 'desc')
    .orderBy('id')
    .compile();
  if (JSON.stringify(list.parameters) !== JSON.stringify(['list-0', 'active'])) throw new Error(`kysely compiled ${JSON.stringify(list.parameters)} for ${list.sql}`);
  return {
    create: (i) => create(Object.values(row(i))),
    get: (i) => get([ids[i % ids.length]]),
    update: (i) => update([renamed(i), ids[i % ids.length]]),
    list: async (i) => (await kdb.executeQuery({ ...list, parameters: [`list-${i % 10}`, 'active'] })).rows,
  };
}

function repositoryImpl(store: Store, ids: string[]): Implementation {
  const r = store.repositories.sessions;
  return {
    create: (i) => r.create({ computerName: `bench-${i % 50}`, title: `session ${i}` }),
    get: (i) => r.get(ids[i % ids.length]!),
    update: (i) => r.update(ids[i % ids.length]!, { title: renamed(i) }),
    list: (i) => r.list({ computerName: `list-${i % 10}` }),
  };
}

async function seed(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) ids.push((await store.repositories.sessions.create({ computerName: 'seed', title: `s${i}` })).id);
  for (let i = 0; i < 200; i++) await store.repositories.sessions.create({ computerName: `list-${i % 10}` });
  return ids;
}

/** A lower bound on a ratio (`min`) and what it is measured against (`of`, a column of the table). */
interface Goal {
  of: 'raw' | 'floor';
  min: number;
}

type Goals = Partial<Record<(typeof OPS)[number], Goal[]>>;

function goalText(goal: Goal, ratio: number): string {
  return `>= ${goal.min}x ${goal.of === 'raw' ? 'raw' : 'floor'}: ${target(ratio >= goal.min)}`;
}

/**
 * Each operation: repository against raw, raw against Kysely and, when `impls.floor`
 * exists, repository against the floor, each pair interleaved in its own rounds.
 */
async function compare(
  engine: string,
  impls: Record<string, Implementation>,
  perRound: number,
  rounds: number,
  goals: Goals,
  kyselyNote = 'queries compiled once',
  floorNote = "the raw driver's statements in .raw(true) mode, rows as arrays, unmapped",
): Promise<void> {
  const rows: (string | number)[][] = [];
  const floor = impls.floor;
  for (const op of OPS) {
    const [repo, raw] = await sideBySide(rounds, perRound, (i) => impls.repository![op](i), (i) => impls.raw![op](i));
    const [rawAgain, kysely] = await sideBySide(rounds, perRound, (i) => impls.raw![op](i), (i) => impls.kysely![op](i));
    const ratios = { raw: repo.opsPerSecond / raw.opsPerSecond, floor: NaN };
    const row: (string | number)[] = [op, repo.opsPerSecond, raw.opsPerSecond];
    if (floor) {
      const [repoAgain, array] = await sideBySide(rounds, perRound, (i) => impls.repository![op](i), (i) => floor[op](i));
      ratios.floor = repoAgain.opsPerSecond / array.opsPerSecond;
      row.push(array.opsPerSecond);
    }
    row.push(kysely.opsPerSecond, ratios.raw);
    if (floor) row.push(ratios.floor);
    row.push(kysely.opsPerSecond / rawAgain.opsPerSecond, goals[op]?.map((goal) => goalText(goal, ratios[goal.of])).join('; ') ?? '-');
    rows.push(row);
  }
  const header = floor
    ? ['op', 'repository', 'raw driver', 'floor', 'kysely', 'repo/raw', 'repo/floor', 'kysely/raw', 'target']
    : ['op', 'repository', 'raw driver', 'kysely', 'repo/raw', 'kysely/raw', 'target'];
  printTable(`${engine}: operations per second (${rounds} x ${perRound} per op, interleaved)`, header, rows);
  console.log(`  kysely: ${kyselyNote}; kysely/raw against the raw driver measured beside it, in as many rounds.`);
  if (floor) console.log(`  floor: ${floorNote}; repo/floor measured beside it.`);
}

/**
 * An empty `store.transaction(async () => {})` against `raw` (BEGIN/COMMIT on the raw
 * driver), interleaved; prints microseconds per transaction and store/raw time, with the
 * target `maxRatio` when given (informational otherwise).
 */
async function compareTransaction(engine: string, store: Store, raw: () => unknown, rawText: string, perRound: number, rounds: number, maxRatio?: number): Promise<void> {
  const [pkg, bare] = await sideBySide(rounds, perRound, () => store.transaction(async () => {}), raw);
  const ratio = bare.opsPerSecond / pkg.opsPerSecond;
  printTable(`${engine}: empty transaction (${rounds} x ${perRound}, interleaved)`, ['', 'store.transaction µs', `raw ${rawText} µs`, 'store/raw time', 'target'], [
    ['empty', 1e6 / pkg.opsPerSecond, 1e6 / bare.opsPerSecond, ratio, maxRatio === undefined ? 'informational' : `<= ${maxRatio}x raw: ${target(ratio <= maxRatio)}`],
  ]);
}

async function benchSqlite(): Promise<void> {
  const file = benchSqlitePath();
  const store = new SqliteStore({ path: file.path, ...(await benchObserve()) });
  await store.migrator.up();
  const ids = await seed(store);
  const db = store.database.db;
  // The raw side issues the statements the repository issues, on the same connection.
  const columns = (db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all('sessions') as { name: string }[]).map((c) => c.name);
  const insert = db.prepare(`INSERT INTO sessions (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING ${columns.join(', ')}`);
  const get = db.prepare(`SELECT ${columns.join(', ')} FROM sessions WHERE id = ?`);
  const update = db.prepare(`UPDATE sessions SET title = ? WHERE id = ? RETURNING ${columns.join(', ')}`);
  const list = db.prepare(`SELECT ${columns.join(', ')} FROM sessions WHERE computer_name = ? AND lifecycle_status IN (?) AND closed_at IS NULL ORDER BY last_activity DESC, id`);
  const defaults: Record<string, unknown> = { last_input_origin: 'telegram', lifecycle_status: 'active', adapter_metadata: '{}', session_metadata: '{}', terminal_size: '80x24', initiated_by_ai: 0, notification_sent: 0, tui_capture_started: 0, char_offset: 0, transcript_files: '[]', visibility: 'private', turn_triggered_by_linked_output: 0 };
  const row = (i: number): unknown[] => {
    const now = Date.now();
    const values: Record<string, unknown> = { ...defaults, id: randomUUID(), computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: now, last_activity: now };
    return columns.map((c) => values[c] ?? null);
  };
  const raw: Implementation = {
    create: (i) => insert.get(row(i)),
    get: (i) => get.get(ids[i % ids.length]),
    update: (i) => update.get(renamed(i), ids[i % ids.length]),
    list: (i) => list.all(`list-${i % 10}`, 'active'),
  };
  // The same statements prepared once more in array mode: the driver's floor, no row objects, no mapping.
  const [insertA, getA, updateA, listA] = [insert, get, update, list].map((statement) => db.prepare(statement.source).raw(true));
  const floor: Implementation = {
    create: (i) => insertA!.get(row(i)),
    get: (i) => getA!.get(ids[i % ids.length]),
    update: (i) => updateA!.get(renamed(i), ids[i % ids.length]),
    list: (i) => listA!.all(`list-${i % 10}`, 'active'),
  };
  const kdb = new Kysely<Db>({ dialect: new SqliteDialect({ database: preparingOnce(new Database(file.path)) }) });
  const kysely = kyselyImpl(kdb, ids, defaults, () => Date.now());
  const faster = (min: number): Goal[] => [{ of: 'raw', min }, { of: 'floor', min: 0.9 }];
  await compare('SQLite', { repository: repositoryImpl(store, ids), raw, floor, kysely }, 2000, 5, {
    create: [{ of: 'raw', min: 0.95 }],
    get: faster(1.5),
    update: [{ of: 'raw', min: 0.95 }],
    list: faster(1.5),
  });
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  await compareTransaction('SQLite', store, () => (begin.run(), commit.run()), 'BEGIN IMMEDIATE/COMMIT', 5000, 5, 1.3);
  await kdb.destroy();
  await store.close();
  file.remove();
}

/**
 * Direct: the ratios must stay >= 0.95. Through PgBouncer (transaction mode, when the
 * binary is installed) the ratios show what carrying schema and statement timeout with
 * each statement costs; no target, the raw side there sets nothing at all.
 */
async function benchPostgres(pooler: boolean): Promise<void> {
  const database = await benchPgDatabase();
  const bouncer = pooler ? await startPgBouncer(database.url) : null;
  const url = bouncer ? bouncer.through(database.url) : database.url;
  const store = new PostgresStore({ url }, 'bench', undefined, await benchObserve());
  await store.migrator.up();
  const ids = await seed(store);
  const pool: pg.Pool = store.database.pool;
  const { rows: cols } = await pool.query<{ name: string }>("SELECT attname AS name FROM pg_attribute WHERE attrelid = 'sessions'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
  const columns = cols.map((c) => c.name);
  const all = columns.join(', ');
  const insertSql = `INSERT INTO sessions (${all}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${all}`;
  const defaults: Record<string, unknown> = { last_input_origin: 'telegram', lifecycle_status: 'active', adapter_metadata: '{}', session_metadata: '{}', terminal_size: '80x24', initiated_by_ai: false, notification_sent: false, tui_capture_started: false, char_offset: 0, transcript_files: '[]', visibility: 'private', turn_triggered_by_linked_output: false };
  const raw: Implementation = {
    create: (i) => {
      const now = new Date();
      const row: Record<string, unknown> = { ...defaults, id: randomUUID(), computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: now, last_activity: now };
      return pool.query(insertSql, columns.map((c) => row[c] ?? null));
    },
    get: (i) => pool.query(`SELECT ${all} FROM sessions WHERE id = $1`, [ids[i % ids.length]]),
    update: (i) => pool.query(`UPDATE sessions SET title = $1 WHERE id = $2 RETURNING ${all}`, [renamed(i), ids[i % ids.length]]),
    list: (i) => pool.query(`SELECT ${all} FROM sessions WHERE computer_name = $1 AND lifecycle_status = ANY($2::text[]) AND closed_at IS NULL ORDER BY last_activity DESC, id`, [`list-${i % 10}`, ['active']]),
  };
  // Direct only: the raw side's statements prepared (named, as the store prepares its own on a
  // direct connection) and in array mode, unmapped; through a transaction-mode pooler a
  // statement prepared on one server connection is not on the next.
  const prepared = (name: string, text: string, values: unknown[]) => pool.query({ name: `floor_${name}`, text, values, rowMode: 'array' });
  const floor: Implementation | undefined = bouncer
    ? undefined
    : {
        create: (i) => {
          const now = new Date();
          const row: Record<string, unknown> = { ...defaults, id: randomUUID(), computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: now, last_activity: now };
          return prepared('create', insertSql, columns.map((c) => row[c] ?? null));
        },
        get: (i) => prepared('get', `SELECT ${all} FROM sessions WHERE id = $1`, [ids[i % ids.length]]),
        update: (i) => prepared('update', `UPDATE sessions SET title = $1 WHERE id = $2 RETURNING ${all}`, [renamed(i), ids[i % ids.length]]),
        list: (i) =>
          prepared('list', `SELECT ${all} FROM sessions WHERE computer_name = $1 AND lifecycle_status = ANY($2::text[]) AND closed_at IS NULL ORDER BY last_activity DESC, id`, [`list-${i % 10}`, ['active']]),
      };
  const kpool = new pg.Pool({ connectionString: url, max: 10 });
  kpool.on('error', () => {});
  const kdb = new Kysely<Db>({ dialect: new PostgresDialect({ pool: kpool }) });
  const kysely = kyselyImpl(kdb, ids, defaults, () => new Date());
  const goal: Goal[] = [{ of: 'raw', min: 0.95 }];
  const name = bouncer ? 'PostgreSQL through PgBouncer (transaction mode)' : 'PostgreSQL';
  await compare(
    name,
    { repository: repositoryImpl(store, ids), raw, ...(floor ? { floor } : {}), kysely },
    NETWORK_PER_ROUND,
    NETWORK_ROUNDS,
    bouncer ? {} : { create: goal, get: goal, update: goal, list: goal },
    undefined,
    'the raw driver\'s statements prepared (named) and in array mode, unmapped',
  );
  // The store's BEGIN carries its SET LOCALs in the same round trip; the raw side sends BEGIN alone.
  await compareTransaction(name, store, async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }, 'BEGIN/COMMIT on a pool client', NETWORK_PER_ROUND, NETWORK_ROUNDS);
  await kdb.destroy();
  await store.close();
  await bouncer?.stop();
  await database.drop();
}

/**
 * MariaDB: the raw side issues the repository's statements on the store's own mysql2 pool
 * (text protocol, as the repository does): INSERT ... RETURNING, SELECT, and for update
 * (UPDATE has no RETURNING on MariaDB) UPDATE then SELECT in one transaction, queued as
 * the repository queues them (BEGIN, UPDATE and SELECT at once, which mysql2 sends one
 * after the other's answer, then COMMIT). Target >= 0.90.
 */
async function benchMariadb(): Promise<void> {
  const database = await benchMariadbDatabase();
  const store = new MariadbStore({ url: database.url }, 'bench', undefined, await benchObserve());
  try {
    await store.migrator.up();
    const ids = await seed(store);
    const pool = store.database.pool;
    const [cols] = await pool.query<mysql.RowDataPacket[]>(
      "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'sessions' ORDER BY ordinal_position",
    );
    const columns = cols.map((c) => c.name as string);
    const all = columns.map((c) => `\`${c}\``).join(', ');
    const insertSql = `INSERT INTO sessions (${all}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING ${all}`;
    const defaults: Record<string, unknown> = { last_input_origin: 'telegram', lifecycle_status: 'active', adapter_metadata: '{}', session_metadata: '{}', terminal_size: '80x24', initiated_by_ai: false, notification_sent: false, tui_capture_started: false, char_offset: 0, transcript_files: '[]', visibility: 'private', turn_triggered_by_linked_output: false };
    const raw: Implementation = {
      create: (i) => {
        const now = Date.now();
        const row: Record<string, unknown> = { ...defaults, id: randomUUID(), computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: now, last_activity: now };
        return pool.query(insertSql, columns.map((c) => row[c] ?? null));
      },
      get: (i) => pool.query(`SELECT ${all} FROM sessions WHERE id = ?`, [ids[i % ids.length]]),
      update: async (i) => {
        const id = ids[i % ids.length];
        const connection = await pool.getConnection();
        try {
          const [, , [rows]] = await Promise.all([
            connection.query('BEGIN'),
            connection.query('UPDATE sessions SET `title` = ? WHERE id = ?', [renamed(i), id]),
            connection.query(`SELECT ${all} FROM sessions WHERE id = ?`, [id]),
          ]);
          await connection.query('COMMIT');
          return rows;
        } finally {
          connection.release();
        }
      },
      list: (i) => pool.query(`SELECT ${all} FROM sessions WHERE computer_name = ? AND lifecycle_status IN (?) AND closed_at IS NULL ORDER BY last_activity DESC, id`, [`list-${i % 10}`, ['active']]),
    };
    const kdb = new Kysely<Db>({ dialect: new MysqlDialect({ pool: mysql.createPool({ uri: database.url.replace(/^mariadb:/, 'mysql:'), connectionLimit: 10 }) }) });
    const kysely: Implementation = {
      create: async (i) => {
        const now = Date.now();
        const id = randomUUID();
        await kdb.insertInto('sessions').values({ ...defaults, id, computer_name: `bench-${i % 50}`, title: `session ${i}`, created_at: now, last_activity: now, closed_at: null }).execute();
        return kdb.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      },
      get: (i) => kdb.selectFrom('sessions').selectAll().where('id', '=', ids[i % ids.length]!).executeTakeFirst(),
      update: (i) =>
        kdb.transaction().execute(async (tx) => {
          await tx.updateTable('sessions').set({ title: renamed(i) }).where('id', '=', ids[i % ids.length]!).execute();
          return tx.selectFrom('sessions').selectAll().where('id', '=', ids[i % ids.length]!).executeTakeFirst();
        }),
      list: (i) => kdb.selectFrom('sessions').selectAll().where('computer_name', '=', `list-${i % 10}`).where('lifecycle_status', 'in', ['active']).where('closed_at', 'is', null).orderBy('last_activity', 'desc').orderBy('id').execute(),
    };
    const goal: Goal[] = [{ of: 'raw', min: 0.9 }];
    await compare('MariaDB', { repository: repositoryImpl(store, ids), raw, kysely }, NETWORK_PER_ROUND, NETWORK_ROUNDS, { create: goal, get: goal, update: goal, list: goal }, 'queries built per call, create as INSERT then SELECT');
    await compareTransaction('MariaDB', store, async () => {
      const connection = await pool.getConnection();
      try {
        await connection.query('BEGIN');
        await connection.query('COMMIT');
      } finally {
        connection.release();
      }
    }, 'BEGIN/COMMIT on a pool client', NETWORK_PER_ROUND, NETWORK_ROUNDS);
    await kdb.destroy();
  } finally {
    await store.close();
    await database.drop();
  }
}

export default async function run(): Promise<void> {
  await benchSqlite();
  await benchPostgres(false);
  if (!pgbouncerUnavailable()) await benchPostgres(true);
  await benchMariadb();
}

export type { Measured };
