import Database from 'better-sqlite3';

/**
 * Wakes waiters when another connection (any process) commits to the file: `PRAGMA
 * data_version` on a dedicated read-only connection changes whenever another connection
 * commits (https://www.sqlite.org/pragma.html#pragma_data_version), a cheap check polled
 * every `pollMs`. On a change, `ready()` decides whether the change made work claimable.
 */
export class SqliteNotifier {
  private db: Database.Database | null = null;
  private readonly waits = new Set<() => void>();

  constructor(
    private readonly path: string,
    private readonly ready: () => Promise<boolean>,
    private readonly pollMs = 2,
  ) {}

  /** Resolves `true` soon after work may be claimable, `false` on timeout or abort. */
  wait(signal: AbortSignal | undefined, timeoutMs: number): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    // An in-memory database has no other connection: every change is this store's own.
    if (this.path !== ':memory:') this.db ??= new Database(this.path, { readonly: true, fileMustExist: true });
    const version = this.db?.prepare('PRAGMA data_version').pluck();
    return new Promise<boolean>((resolve) => {
      let done = false;
      let seen = version?.get() as number | undefined;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        this.waits.delete(abort);
        clearTimeout(timer);
        clearInterval(poll);
        signal?.removeEventListener('abort', abort);
        resolve(value);
      };
      const abort = () => finish(false);
      const check = () => {
        this.ready().then((ready) => ready && finish(true), () => {});
      };
      signal?.addEventListener('abort', abort);
      this.waits.add(abort);
      const timer = setTimeout(() => finish(false), timeoutMs);
      check();
      const poll = setInterval(() => {
        if (done) return;
        const now = version?.get() as number | undefined;
        if (now !== seen || version === undefined) {
          seen = now;
          check();
        }
      }, version === undefined ? 50 : this.pollMs);
    });
  }

  /** Ends every wait (resolving `false`) and closes the connection. */
  close(): void {
    for (const end of [...this.waits]) end();
    this.db?.close();
    this.db = null;
  }
}
