import { Random, seedId } from './random.js';

/** What every generator of one seed run shares. */
export interface SeedContext {
  /** How many sessions the run creates; other tables scale with it. */
  sessions: number;
  rng: Random;
  /** The newest timestamp of the sample data. */
  now: Date;
  /** The id of the i-th seeded session (0 <= i < sessions). */
  sessionId(i: number): string;
  /** Another uuid-shaped id, unique per (kind, index) within the run. */
  id(kind: IdKind, i: number): string;
  computerOf(i: number): string;
  agentOf(i: number): string;
  projectOf(i: number): string;
}

/** Id spaces of the run (see `seedId`). */
export enum IdKind {
  Session = 1,
  NativeSession,
  Operation,
  Link,
  Token,
  MemorySession,
  Mirror,
  Request,
}

/** One table's sample data. */
export interface TableSeeder {
  table: string;
  /** Tables this one references; they are seeded first when they exist. */
  after?: string[];
  /** Rows as snake_case column -> domain value (Date, boolean, JSON value, number, string, null). */
  rows(ctx: SeedContext): Iterable<Record<string, unknown>>;
}

export const COMPUTERS = ['mac-studio', 'build-box', 'laptop', 'pi-cluster-1', 'ci-runner'] as const;
export const AGENTS = ['claude', 'gemini', 'codex'] as const;
export const PROJECTS = [
  'teleclaude', 'webshop', 'infra', 'docs-site', 'mobile-app', 'data-pipeline', 'ml-experiments', 'billing',
  'auth-service', 'design-system', 'cli-tools', 'home-automation', 'blog', 'search', 'analytics', 'chat-bot',
] as const;
export const PEOPLE = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'] as const;

export function createSeedContext(sessions: number, seed: number, now: Date): SeedContext {
  const rng = new Random(seed);
  const run = new Random(seed ^ 0x5eed).hex(14);
  return {
    sessions,
    rng,
    now,
    sessionId: (i) => seedId(run, IdKind.Session, i),
    id: (kind, i) => seedId(run, kind, i),
    computerOf: (i) => COMPUTERS[i % COMPUTERS.length]!,
    agentOf: (i) => AGENTS[(i >> 1) % AGENTS.length]!,
    projectOf: (i) => PROJECTS[(i * 7) % PROJECTS.length]!,
  };
}

export const DAY_MS = 86_400_000;
