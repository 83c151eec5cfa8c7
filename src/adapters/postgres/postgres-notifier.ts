import pg from 'pg';
import { clientConfig, type PostgresOptions } from './postgres-database.js';
import { pooledSession } from './postgres-session-settings.js';

/** The channel every enqueue notifies, in the enqueue's own transaction. */
export const WORK_CHANNEL = 'teleclaude_work';

/** The SELECT-list item an enqueue's RETURNING adds: NOTIFY is delivered only when that transaction commits. */
export const NOTIFY_WORK = `pg_notify('${WORK_CHANNEL}', '') IS NULL AS notified`;

/**
 * Wakes waiters when another connection (any process) enqueues: LISTEN on a dedicated direct
 * connection, opened on the first wait. LISTEN is session state that a transaction-mode
 * pooler breaks, so with `listen: false`, behind a pooler (found as the lease lock finds it:
 * the server process is not the connection's own), or when the listening connection cannot
 * be opened or dies, it falls back to polling `ready()` every `pollMs`.
 */
export class PostgresNotifier {
  private client: pg.Client | null = null;
  private connecting: Promise<boolean> | null = null;
  /** Each waiting call's wake (resolve true) and end (resolve false). */
  private readonly waiters = new Map<() => void, () => void>();
  private closed = false;
  /** Set once a listening connection turned out to go through a pooler: LISTEN would hear nothing. */
  private pooled = false;

  constructor(
    private readonly options: PostgresOptions & { listen?: boolean },
    private readonly ready: () => Promise<boolean>,
    private readonly pollMs = 100,
  ) {}

  /** Resolves `true` soon after work may be claimable, `false` on timeout or abort. */
  async wait(signal: AbortSignal | undefined, timeoutMs: number): Promise<boolean> {
    if (signal?.aborted) return false;
    const listening = await this.listen();
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        this.waiters.delete(wake);
        clearTimeout(timer);
        clearInterval(poll);
        signal?.removeEventListener('abort', abort);
        resolve(value);
      };
      const wake = () => finish(true);
      const abort = () => finish(false);
      const check = () => {
        this.ready().then((ready) => ready && finish(true), () => {});
      };
      this.waiters.set(wake, abort);
      signal?.addEventListener('abort', abort);
      const timer = setTimeout(() => finish(false), timeoutMs);
      // Subscribed first, checked second: a row enqueued before the wait began is not missed.
      check();
      const poll = listening ? undefined : setInterval(check, this.pollMs);
    });
  }

  private listen(): Promise<boolean> {
    if (this.closed || this.pooled || this.options.listen === false) return Promise.resolve(false);
    if (this.client) return Promise.resolve(true);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<boolean> {
    const client = new pg.Client({ ...clientConfig(this.options), application_name: 'teleclaude-listen' });
    const lost = () => {
      if (this.client === client) this.client = null;
      // Wake everyone: their next wait reconnects or polls.
      for (const wake of [...this.waiters.keys()]) wake();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => {
      for (const wake of [...this.waiters.keys()]) wake();
    });
    try {
      await client.connect();
      // Behind a transaction pooler the LISTEN would land on a server connection that is
      // handed to others after the statement: no notification would ever arrive.
      this.pooled = (await pooledSession(client)) !== null;
      if (this.pooled) throw new Error('behind a pooler: polling instead');
      await client.query(`LISTEN ${WORK_CHANNEL}`);
    } catch {
      await client.end().catch(() => {});
      return false;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return false;
    }
    this.client = client;
    return true;
  }

  /** Ends every wait (resolving `false`) and closes the listening connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const end of [...this.waiters.values()]) end();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
