import pg from 'pg';

/**
 * What each statement needs from its session: the schema (`search_path`) and the
 * statement timeout. None of it is sent as a startup parameter (a transaction-mode pooler
 * such as PgBouncer refuses `options` and `statement_timeout` there).
 *
 * - Each transaction sets them with `SET LOCAL` in the same round trip as its `BEGIN`.
 * - A single statement on a direct connection relies on session settings made once when
 *   the connection opens ({@link SessionSettler}); free per statement.
 * - A single statement through a pooler carries them itself, in the same round trip
 *   ({@link SettingsQuery}): a session setting there would stay on a server connection
 *   that the pooler hands to other clients next, and miss the one we get next.
 */
export interface SessionSettings {
  schema: string;
  statementTimeoutMs: number;
}

/** `BEGIN` and the settings, one simple-protocol round trip. */
export function beginSql(settings: SessionSettings): string {
  const timeout = Math.trunc(settings.statementTimeoutMs);
  return `BEGIN; SET LOCAL search_path TO ${pg.escapeIdentifier(settings.schema)}; SET LOCAL statement_timeout = ${timeout}`;
}

interface ProtocolConnection {
  parse(message: { text: string; name?: string; types?: unknown[] }): void;
  bind(message: { portal?: string; statement?: string; values?: unknown[] }): void;
  execute(message: { portal?: string; rows?: number }): void;
}

/** The members of pg's Query this subclass relies on (stable since pg 8; not in @types/pg). */
interface QueryInternals {
  text: string;
  values?: unknown[];
  queryMode?: string;
  requiresPreparation(): boolean;
  prepare(connection: ProtocolConnection): void;
  submit(connection: ProtocolConnection & { query(text: string): void }): Error | null;
  handleRowDescription(message: unknown): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: unknown): void;
}

const QueryBase = pg.Query as unknown as new (config: pg.QueryConfig) => QueryInternals;

/**
 * One statement preceded by `set_config(..., is_local => true)` for the settings, in the
 * same implicit transaction and the same round trip:
 * - extended protocol (parameters): Parse/Bind/Execute of the settings, then the
 *   statement's Parse/Bind/Describe/Execute, then one Sync. Everything before a Sync is one
 *   implicit transaction, and the server restarts the statement timeout at each Execute
 *   (so the statement gets the new value);
 * - simple protocol (no parameters): `SELECT set_config(...); <text>`, which the server
 *   runs as one implicit transaction block.
 * The settings' row and command tag are swallowed, so the caller sees only its statement's
 * result. A pooler in transaction mode keeps the server connection for the whole exchange.
 */
class SettingsQuery extends QueryBase {
  private preludeLeft = 1;

  constructor(
    private readonly settings: SessionSettings,
    config: pg.QueryConfig,
  ) {
    super(config);
  }

  override submit(connection: ProtocolConnection & { query(text: string): void }): Error | null {
    if (!this.requiresPreparation()) {
      connection.query(`${preludeSql(this.settings, true)}; ${this.text}`);
      return null;
    }
    return super.submit(connection);
  }

  override prepare(connection: ProtocolConnection): void {
    connection.parse({ text: preludeSql(this.settings, false), name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [pg.escapeIdentifier(this.settings.schema), String(Math.trunc(this.settings.statementTimeoutMs))] });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection);
  }

  override handleRowDescription(message: unknown): void {
    if (this.preludeLeft === 0) super.handleRowDescription(message);
  }

  override handleDataRow(message: unknown): void {
    if (this.preludeLeft === 0) super.handleDataRow(message);
  }

  override handleCommandComplete(message: unknown, connection: unknown): void {
    if (this.preludeLeft > 0) this.preludeLeft--;
    else super.handleCommandComplete(message, connection);
  }
}

/** What `query` runs: a statement's text and values, its rows as objects or (rowMode) arrays. */
export interface Statement {
  text: string;
  values?: unknown[];
  rowMode?: 'array';
}

/**
 * A statement on a direct session: prepared under `name` when it has one (see
 * {@link SessionSettler.nameOf}). Unnamed and without a row mode, as text and values: pg
 * copies a config object (every property descriptor) before it runs it, which costs a read
 * of a wide row a few percent of its CPU time.
 */
function direct<R extends pg.QueryResultRow>(client: pg.ClientBase, config: Statement, name: string | undefined): Promise<pg.QueryResult<R>> {
  if (name !== undefined) return client.query<R>({ name, text: config.text, values: config.values, rowMode: config.rowMode } as pg.QueryConfig);
  return config.rowMode === undefined ? client.query<R>(config.text, config.values) : client.query<R>(config as pg.QueryConfig);
}

/** How many statement texts a store prepares on its direct sessions (by first use); others go unnamed. */
export const PREPARED_STATEMENTS_MAX = 256;

function preludeSql(settings: SessionSettings, literal: boolean): string {
  if (!literal) return "SELECT set_config('search_path', $1, true), set_config('statement_timeout', $2, true)";
  const path = pg.escapeLiteral(pg.escapeIdentifier(settings.schema));
  return `SELECT set_config('search_path', ${path}, true), set_config('statement_timeout', '${Math.trunc(settings.statementTimeoutMs)}', true)`;
}

/**
 * Session settings only where the session is ours alone: the server's process id equals
 * the one the connection reported at startup (BackendKeyData). A pooler answers the
 * startup itself with a key of its own, so through any pooler the condition is false and
 * nothing is set on a server connection that other clients share.
 *
 * `plan_cache_mode = force_custom_plan`: the statements prepared on such a session (see
 * {@link SessionSettler.nameOf}) are parsed once but planned for each run's values. After
 * five runs the server may otherwise switch to a generic plan, blind to the values; in
 * the daemon bench's four processes that made the message cycle 0.79x the unprepared
 * driver's, against 1.11-1.23x with a plan per run.
 */
const SETTLE_SQL = `SELECT set_config('search_path', $1, false), set_config('statement_timeout', $2, false),
  set_config('plan_cache_mode', 'force_custom_plan', false)
WHERE pg_backend_pid() = $3`;

/**
 * Tells, per connection, whether the session is the server's own (settings made once) or
 * a pooler's (each statement carries the settings), and runs single statements accordingly.
 */
export class SessionSettler {
  private readonly pooled = new WeakMap<pg.ClientBase, Promise<boolean>>();

  constructor(
    pool: pg.Pool,
    readonly settings: SessionSettings,
  ) {
    // The first query on a new client, queued before any caller's.
    pool.on('connect', (client) => void this.settle(client));
  }

  /** Whether `client` goes through a pooler (its settings must travel with each statement). */
  isPooled(client: pg.ClientBase): Promise<boolean> {
    return this.pooled.get(client) ?? this.settle(client);
  }

  /** One statement on `client` under the settings. */
  query<R extends pg.QueryResultRow>(client: pg.ClientBase, config: Statement): Promise<pg.QueryResult<R>> {
    // A direct session whose settings are made: the statement goes out now, no await first.
    if (this.direct.has(client)) return direct<R>(client, config, this.nameOf(config));
    return this.isPooled(client).then((pooled) =>
      pooled ? querySettled<R>(client, this.settings, config) : direct<R>(client, config, this.nameOf(config)),
    );
  }

  /** The name to prepare `config` under on `client`, or undefined: only on a session known to be direct. */
  preparedName(client: pg.ClientBase, config: Statement): string | undefined {
    return this.direct.has(client) ? this.nameOf(config) : undefined;
  }

  /**
   * The name a statement is prepared under on a direct session, the same for its text on
   * every connection: the server then parses and plans it once per connection instead of
   * for every run (a read of a 49-column session row took about 40% less time). Only
   * statements with parameters (the repositories' own; utility statements have none), and
   * only the first PREPARED_STATEMENTS_MAX texts, so what each server session holds stays
   * bounded. Never through a pooler: a statement prepared on one server connection is not
   * on the next one a transaction-mode pooler hands out.
   */
  private nameOf(config: Statement): string | undefined {
    if (config.values === undefined || config.values.length === 0) return undefined;
    let name = this.names.get(config.text);
    if (name === undefined && this.names.size < PREPARED_STATEMENTS_MAX) {
      name = `tc_${this.names.size + 1}`;
      this.names.set(config.text, name);
    }
    return name;
  }

  private readonly names = new Map<string, string>();

  /** Clients known to be direct sessions with their settings made. */
  private readonly direct = new WeakSet<pg.ClientBase>();

  private settle(client: pg.ClientBase): Promise<boolean> {
    const processId = (client as unknown as { processID: number | null }).processID;
    const pooled = client
      .query(SETTLE_SQL, [pg.escapeIdentifier(this.settings.schema), String(Math.trunc(this.settings.statementTimeoutMs)), processId])
      .then((result) => {
        if (result.rowCount !== 0) this.direct.add(client);
        return result.rowCount === 0;
      });
    // A failure reaches the caller through isPooled; this copy only keeps it from being unhandled.
    pooled.catch(() => {});
    this.pooled.set(client, pooled);
    return pooled;
  }
}

/** Runs `config` under `settings` on a client, in one round trip (see SettingsQuery). */
async function querySettled<R extends pg.QueryResultRow = Record<string, unknown>>(
  on: pg.ClientBase,
  settings: SessionSettings,
  config: pg.QueryConfig | pg.QueryArrayConfig,
): Promise<pg.QueryResult<R>> {
  const query = new SettingsQuery(settings, config as pg.QueryConfig) as unknown as pg.Submittable & {
    callback?: (error: Error | null, result: pg.QueryResult<R>) => void;
  };
  return new Promise((resolve, reject) => {
    query.callback = (error, result) => (error ? reject(error) : resolve(result));
    void on.query(query);
  });
}

/**
 * Why `client` is not one server session of its own, or null when it is: the server
 * process changes between two transactions, or differs from the one the connection
 * reported at startup (a pooler answers the startup itself). Session state (advisory
 * locks, SET) means nothing on such a connection.
 */
export async function pooledSession(client: pg.ClientBase): Promise<string | null> {
  const reported = (client as unknown as { processID: number | null }).processID;
  const first = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const second = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  if (first !== second) return `the server process changed between two transactions (${first}, then ${second})`;
  if (first !== reported) return `the server process (${first}) is not the one the connection reported at startup (${reported ?? 'none'}), as behind a connection pooler`;
  return null;
}
