/** Shared helpers of the benchmark sections: timing, tables, targets. */

export interface Measured {
  ops: number;
  seconds: number;
  opsPerSecond: number;
}

/** Runs `fn` `count` times (awaiting each) after `warmup` runs; returns operations per second. */
export async function measure(count: number, fn: (i: number) => unknown | Promise<unknown>, warmup = Math.min(200, count)): Promise<Measured> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fn(warmup + i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { ops: count, seconds, opsPerSecond: count / seconds };
}

/**
 * Measures two implementations of the same work interleaved in rounds, the side that goes
 * first alternating (A B, B A, A B, ...), so that drift of the machine hits both alike and
 * neither always runs right after the other's writes (a checkpoint, a group commit, a flush
 * the other left behind); returns the total per side.
 */
export async function sideBySide(
  rounds: number,
  perRound: number,
  a: (i: number) => unknown | Promise<unknown>,
  b: (i: number) => unknown | Promise<unknown>,
): Promise<[Measured, Measured]> {
  const seconds = [0, 0];
  const sides = [a, b];
  await measure(perRound, a);
  await measure(perRound, b);
  for (let r = 0; r < rounds; r++) {
    const first = r * perRound;
    for (const side of r % 2 === 0 ? [0, 1] : [1, 0]) {
      seconds[side]! += (await measure(perRound, (k) => sides[side]!(first + k), 0)).seconds;
    }
  }
  const n = rounds * perRound;
  return [
    { ops: n, seconds: seconds[0]!, opsPerSecond: n / seconds[0]! },
    { ops: n, seconds: seconds[1]!, opsPerSecond: n / seconds[1]! },
  ];
}

/** Prints an aligned table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [n, r] of cells.entries()) {
    console.log('  ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  '));
    if (n === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/**
 * The middle value; of an even count, the lower of the two middle ones, so a median of
 * ratios never flatters (NaN for none).
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[(sorted.length - 1) >> 1]!;
}

/** `met` / `NOT MET` for a target. */
export function target(met: boolean): string {
  return met ? 'met' : 'NOT MET';
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
