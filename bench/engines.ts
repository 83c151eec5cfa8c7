/**
 * The bench side of each engine, one entry per registered engine (the Record type makes a
 * new engine's entry compulsory): where its databases come from, the fast refill of the
 * queue bench, and the raw-driver reference loop the repository is measured against.
 * Everything else in the benches goes through the package's registry.
 */
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { EngineName } from '../src/engines/registry.js';
import { benchMariadbDatabase, benchPgDatabase, benchSqlitePath } from './databases.js';

/** A worker loop of the queue bench: runs until done, returns the rows it processed. */
export interface Prepared {
  run: () => Promise<number>;
  close: () => Promise<void>;
}

export interface BenchEngine {
  /** A new database for one section: its location (a path or URL, as `copy` takes it) and how to remove it. */
  database(): Promise<{ location: string; remove: () => Promise<void> }>;
  /** Replaces the hook outbox's rows with `rows` rows due a minute ago, in one statement. */
  refillHookOutbox(location: string, rows: number): Promise<void>;
  /** How many hook-outbox rows the database holds as delivered (a drain is checked by counting). */
  countDelivered(location: string): Promise<number>;
  /**
   * The reference for the queue bench: the driver alone doing the same claim work as
   * `claimBatch` and one UPDATE per batch, without tokens, validation or error translation.
   */
  rawQueueWorker(location: string, batch: number, drain: <T>(claim: () => Promise<T[]>, complete: (items: T[]) => Promise<unknown>) => Promise<number>): Promise<Prepared>;
}

const DELIVERED = 'SELECT count(*) AS n FROM hook_outbox WHERE delivered_at IS NOT NULL';

const CLAIM = `UPDATE hook_outbox SET locked_at = $1
  WHERE id IN (SELECT id FROM hook_outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1 AND locked_at IS NULL
               ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING id`;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A `mariadb://` location as mysql2 takes it. */
const mariadbUri = (location: string) => location.replace(/^mariadb:/, 'mysql:');

async function withMariadb<T>(location: string, fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: mariadbUri(location) });
  try {
    return await fn(connection);
  } finally {
    await connection.end();
  }
}

export const BENCH_ENGINES: Readonly<Record<EngineName, BenchEngine>> = {
  sqlite: {
    async countDelivered(location) {
      const db = new Database(location, { readonly: true });
      try {
        return (db.prepare(DELIVERED).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    async database() {
      const made = benchSqlitePath();
      return { location: made.path, remove: async () => made.remove() };
    },
    async refillHookOutbox(location, rows) {
      const past = Date.now() - 60_000;
      const db = new Database(location);
      try {
        db.pragma('busy_timeout = 5000');
        db.exec('DELETE FROM hook_outbox');
        db.prepare(
          `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
           INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
           SELECT 's' || (i % 10), 'stop', json_object('i', i), ? + i, ? FROM n`,
        ).run(rows, past, past);
      } finally {
        db.close();
      }
    },
    // The same UPDATE ... RETURNING in BEGIN IMMEDIATE, read through the claim-order index.
    async rawQueueWorker(location, batch, drain) {
      const db = new Database(location);
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      // Through the claim-order index, as the package reads a backlog: left to itself SQLite
      // searches the due index and sorts every due row (about 5 ms per claim of 20,000 due rows).
      const sql = CLAIM.replace(' FOR UPDATE SKIP LOCKED', '').replace('FROM hook_outbox WHERE', 'FROM hook_outbox INDEXED BY idx_hook_outbox_claim_order WHERE');
      const claim = db.prepare(sql.replace(/\$1/g, '@now').replace('$2', '@limit')).pluck();
      const complete = db.prepare('UPDATE hook_outbox SET delivered_at = ?, locked_at = NULL WHERE id IN (SELECT value FROM json_each(?))');
      const claimTx = db.transaction(() => claim.all({ now: Date.now(), limit: batch }) as number[]);
      return {
        run: () =>
          drain(
            async () => claimTx.immediate(),
            async (ids) => complete.run(Date.now(), JSON.stringify(ids)),
          ),
        close: async () => {
          db.close();
        },
      };
    },
  },
  postgresql: {
    async database() {
      const db = await benchPgDatabase();
      return { location: db.url, remove: db.drop };
    },
    countDelivered: (location) => withClient(location, async (client) => Number((await client.query<{ n: string }>(DELIVERED)).rows[0]!.n)),
    async refillHookOutbox(location, rows) {
      await withClient(location, async (client) => {
        await client.query('TRUNCATE hook_outbox');
        await client.query(
          `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
           SELECT 's' || (i % 10), 'stop', jsonb_build_object('i', i), $2::timestamptz + i * interval '1 millisecond', $2
           FROM generate_series(1, $1) AS i`,
          [rows, new Date(Date.now() - 60_000)],
        );
      });
    },
    // UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED).
    async rawQueueWorker(location, batch, drain) {
      const client = new pg.Client({ connectionString: location });
      await client.connect();
      return {
        run: () =>
          drain(
            async () => (await client.query<{ id: string }>(CLAIM, [new Date(), batch])).rows.map((r) => Number(r.id)),
            (ids) => client.query('UPDATE hook_outbox SET delivered_at = $1, locked_at = NULL WHERE id = ANY($2::bigint[])', [new Date(), ids]),
          ),
        close: () => client.end(),
      };
    },
  },
  mariadb: {
    async database() {
      const db = await benchMariadbDatabase();
      return { location: db.url, remove: db.drop };
    },
    countDelivered: (location) =>
      withMariadb(location, async (connection) => {
        const [rows] = await connection.query(DELIVERED);
        return Number((rows as { n: number | string }[])[0]!.n);
      }),
    async refillHookOutbox(location, rows) {
      const connection = await mysql.createConnection({ uri: mariadbUri(location) });
      try {
        const past = Date.now() - 60_000;
        await connection.query('DELETE FROM hook_outbox');
        // seq_1_to_N: MariaDB's sequence engine.
        await connection.query(
          `INSERT INTO hook_outbox (session_id, event_type, payload, created_at, next_attempt_at)
           SELECT CONCAT('s', seq % 10), 'stop', JSON_OBJECT('i', seq), ? + seq, ? FROM seq_1_to_${Math.trunc(rows)}`,
          [past, past],
        );
      } finally {
        await connection.end();
      }
    },
    // SELECT ... FOR UPDATE SKIP LOCKED then UPDATE, in one transaction (UPDATE has no RETURNING).
    async rawQueueWorker(location, batch, drain) {
      const connection = await mysql.createConnection({ uri: mariadbUri(location) });
      return {
        run: () =>
          drain(
            async () => {
              const now = Date.now();
              await connection.query('BEGIN');
              const [rows] = await connection.query<mysql.RowDataPacket[]>(
                `SELECT id FROM hook_outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? AND locked_at IS NULL
                 ORDER BY created_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
                [now, batch],
              );
              const ids = rows.map((r) => Number(r.id));
              if (ids.length > 0) await connection.query('UPDATE hook_outbox SET locked_at = ? WHERE id IN (?)', [now, ids]);
              await connection.query('COMMIT');
              return ids;
            },
            (ids) => connection.query('UPDATE hook_outbox SET delivered_at = ?, locked_at = NULL WHERE id IN (?)', [Date.now(), ids]),
          ),
        close: () => connection.end(),
      };
    },
  },
};
