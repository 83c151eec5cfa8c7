/** A small seeded PRNG (mulberry32) and the pickers the seed generators share; reproducible for one seed. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One of `items`, chosen with the given relative weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** `count` words of filler text. */
  words(count: number): string {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.pick(WORDS));
    return out.join(' ');
  }

  /** A date up to `maxMs` before `before`. */
  before(before: Date, maxMs: number): Date {
    return new Date(before.getTime() - Math.floor(this.next() * maxMs));
  }

  /** A date up to `maxMs` after `after`. */
  after(after: Date, maxMs: number): Date {
    return new Date(after.getTime() + Math.floor(this.next() * maxMs));
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }
}

/**
 * A uuid-shaped id unique per (run, kind, index): `run` keeps separate seed runs apart,
 * `kind` separates id spaces (sessions, links, tokens), and the index makes it
 * computable from anywhere, so child tables reference parents without a lookup.
 */
export function seedId(run: string, kind: number, index: number): string {
  const tail = index.toString(16).padStart(12, '0');
  return `${run.slice(0, 8)}-${kind.toString(16).padStart(4, '0')}-4${run.slice(8, 11)}-8${run.slice(11, 14)}-${tail}`;
}

const WORDS = [
  'refactor', 'the', 'daemon', 'session', 'build', 'tests', 'failing', 'on', 'main', 'fix', 'migration', 'queue',
  'worker', 'retry', 'telegram', 'topic', 'voice', 'webhook', 'deploy', 'review', 'branch', 'cache', 'config',
  'timeout', 'lock', 'schema', 'index', 'query', 'latency', 'memory', 'agent', 'claude', 'gemini', 'codex', 'tmux',
  'output', 'summary', 'error', 'handler', 'parser', 'docs', 'release', 'notes', 'api', 'client', 'server', 'port',
  'sqlite', 'postgres', 'a', 'with', 'for', 'and', 'after', 'before', 'when', 'why', 'how', 'check', 'update',
];
