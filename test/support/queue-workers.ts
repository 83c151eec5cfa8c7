import { spawn } from 'node:child_process';
import type { ConnectionSpec } from '../contract/engines.js';
import { programArgs } from './programs.js';

export interface WorkerSpec {
  connection: ConnectionSpec;
  queue: 'hookOutbox' | 'webhooks';
  mode: 'drain' | 'hold';
  limit: number;
  lockTtlMs: number;
  /** drain: stop after this long without claiming anything. */
  idleMs: number;
}

export interface WorkerRun {
  /** Resolves with the ids of a `hold` worker's claim. */
  held: Promise<number[]>;
  /** Resolves when a `drain` worker is connected and waits for `go()`. */
  ready: Promise<void>;
  go(): void;
  /** Resolves when the process exits. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; delivered: number[]; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}


/** Starts test/support/queue-worker.ts in a child process. */
export function startWorker(spec: WorkerSpec): WorkerRun {
  const child = spawn(process.execPath, [...programArgs('test/support/queue-worker.ts'), JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const delivered: number[] = [];
  let stdout = '';
  let stderr = '';
  let onHeld!: (ids: number[]) => void;
  const held = new Promise<number[]>((resolve) => (onHeld = resolve));
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const ids = (line: string) => line.slice(2).split(' ').filter(Boolean).map(Number);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('D ')) delivered.push(...ids(line));
      else if (line.startsWith('H ')) onHeld(ids(line));
      else if (line === 'R') onReady();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; delivered: number[]; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      onHeld([]);
      onReady();
      resolve({ code, signal, delivered, stderr });
    }),
  );
  return { held, ready, done, go: () => child.stdin.end('go\n'), kill: (signal) => child.kill(signal) };
}

/** Starts `count` drain workers, waits until all are connected, starts them together and waits for them to exit. */
export async function drainTogether(spec: WorkerSpec, count: number): Promise<Awaited<WorkerRun['done']>[]> {
  const workers = Array.from({ length: count }, () => startWorker(spec));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.go();
  return Promise.all(workers.map((w) => w.done));
}

/** How many times each id appears. */
export function countById(ids: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}
