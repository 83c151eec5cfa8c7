/**
 * Wakes waiters when work may be claimable, by polling `ready()` (MariaDB has no
 * LISTEN/NOTIFY): one poll loop per notifier, every `pollMs`, runs only while someone
 * waits, and wakes them all when it finds a ready row, from this process or any other.
 */
export class MariadbNotifier {
  /** Each waiting call's wake (resolve true) and end (resolve false). */
  private readonly waiters = new Map<() => void, () => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private closed = false;

  constructor(
    private readonly ready: () => Promise<boolean>,
    private readonly pollMs = 50,
  ) {}

  /** Resolves `true` soon after work may be claimable, `false` on timeout, abort or close. */
  wait(signal: AbortSignal | undefined, timeoutMs: number): Promise<boolean> {
    if (signal?.aborted || this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        this.waiters.delete(wake);
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve(value);
      };
      const wake = () => finish(true);
      const abort = () => finish(false);
      this.waiters.set(wake, abort);
      signal?.addEventListener('abort', abort);
      const timer = setTimeout(() => finish(false), timeoutMs);
      // A row enqueued before the wait began is found by the first check.
      this.check(wake);
      this.schedule();
    });
  }

  /** Wakes `only` when a row is ready now; a failed check waits for the next round. */
  private check(only: () => void): void {
    this.ready().then((ready) => ready && only(), () => {});
  }

  private schedule(): void {
    if (this.timer || this.polling || this.closed || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.waiters.size === 0 || this.closed) return;
      this.polling = true;
      this.ready()
        .then(
          (ready) => {
            if (ready) for (const wake of [...this.waiters.keys()]) wake();
          },
          () => {},
        )
        .finally(() => {
          this.polling = false;
          this.schedule();
        });
    }, this.pollMs);
  }

  /** Ends every wait (resolving `false`) and stops polling. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const end of [...this.waiters.values()]) end();
  }
}
