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
 * Measures two implementations of the same work interleaved in rounds (A, B, A, B, ...),
 * so drift of the machine hits both alike; returns the total per side.
 */
export async function sideBySide(
  rounds: number,
  perRound: number,
  a: (i: number) => unknown | Promise<unknown>,
  b: (i: number) => unknown | Promise<unknown>,
): Promise<[Measured, Measured]> {
  let ta = 0;
  let tb = 0;
  let i = 0;
  await measure(perRound, a);
  await measure(perRound, b);
  for (let r = 0; r < rounds; r++) {
    const ma = await measure(perRound, (k) => a(i + k), 0);
    const mb = await measure(perRound, (k) => b(i + k), 0);
    i += perRound;
    ta += ma.seconds;
    tb += mb.seconds;
  }
  const n = rounds * perRound;
  return [
    { ops: n, seconds: ta, opsPerSecond: n / ta },
    { ops: n, seconds: tb, opsPerSecond: n / tb },
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

/** `met` / `NOT MET` for a target. */
export function target(met: boolean): string {
  return met ? 'met' : 'NOT MET';
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
