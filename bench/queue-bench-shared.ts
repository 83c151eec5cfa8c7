/** What bench/queues.bench.ts and its worker processes (bench/queue-bench-worker.ts) share. */

import type { EngineName } from '../src/engines/registry.js';

export interface BenchWorkerSpec {
  engine: EngineName;
  /** File path or URL. */
  target: string;
  impl: 'repository' | 'raw' | 'pgboss' | 'graphile';
  mode: 'drain' | 'latency';
  batch: number;
}

/** The pg-boss queue and graphile-worker task the bench uses. */
export const PEER_QUEUE = 'bench';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
