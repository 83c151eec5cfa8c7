/** Options of `Store.waitForWork`. */
export interface WaitForWorkOptions {
  /** Stops waiting (resolving `false`) when aborted. */
  signal?: AbortSignal;
  /** Gives up after this long (default 30 s), resolving `false`. */
  timeoutMs?: number;
}
