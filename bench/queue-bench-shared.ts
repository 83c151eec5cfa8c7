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

/**
 * Milliseconds of the system's monotonic clock (libuv's hrtime, CLOCK_MONOTONIC), with
 * sub-millisecond precision and comparable across the processes of one machine. Not the
 * wall clock: `performance.timeOrigin` is taken from it once, at a process's start, so a
 * step of the wall clock (NTP, a virtual machine resumed from a snapshot) between the
 * bench's start and its workers' shifted every latency by the step (seen: 3.5 s).
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
