import type { DatabaseConfig } from '../config/config-schema.js';
import { resolveConfig } from '../config/resolve-config.js';
import { maskSecrets } from '../config/secrets.js';
import { createStore, refuseMissingDatabase } from '../container.js';
import { refuseUnfinishedCopy } from '../open-store.js';
import type { Store } from '../ports/store.js';

/** Where a command writes; injectable so tests can capture output. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stdout and stderr are both a terminal: only then is progress shown (through `status`). */
  tty: boolean;
  /** Replaces the progress line on the terminal (stderr); '' clears it. Only used when `tty`. */
  status?: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * C0 and C1 controls (but tab and newline), DEL, and the Unicode controls that reorder
 * or hide text on a terminal (bidi overrides and isolates, line/paragraph separators).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text fit for a terminal and a log: every password masked (see maskSecrets) and every
 * control character written as `\u001b` (valid inside JSON strings too), so a hostile
 * table name or value cannot move the cursor, recolour or retitle the terminal.
 */
export function sanitise(text: string, secrets: readonly string[] = []): string {
  return maskSecrets(text, ...secrets).replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The Io every command writes through: each line, error and progress text sanitised.
 * `secrets` may grow while the command runs (a config read later adds its password).
 */
export function sanitisedIo(io: Io, secrets: Set<string>): Io {
  const clean = (text: string) => sanitise(text, [...secrets]);
  return {
    ...io,
    out: (line) => io.out(clean(line)),
    err: (line) => io.err(clean(line)),
    status: io.status && ((text) => io.status!(clean(text))),
  };
}

/** One option of a command: a flag, or one that takes a value shown as `value` in --help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's name in --help (string options), e.g. `NAME`. */
  value?: string;
  /** One line (or a few) for the generated --help. */
  description: string;
}

export type Options = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | undefined>;

/** One `teleclaude-db` subcommand. */
export interface Command {
  name: string;
  /** One line, for the command list. */
  summary: string;
  /** What the command does, for its --help (the options are listed from `options`). */
  help: string;
  /** Example invocations, one a line. */
  examples: string[];
  options: Options;
  /** Returns the exit code. Throwing prints a one-line reason and exits 1. */
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

/** The `database:` config selected by --config, the environment and the config files. */
export function configOf(values: Values, io: Io): DatabaseConfig {
  return resolveConfig({ configPath: values.config as string | undefined, env: io.env, cwd: io.cwd }).database;
}

/**
 * Opens the configured store (no instance lock: a CLI is a short-lived reader). Unless
 * `create`, an SQLite file that does not exist is refused instead of created: a command
 * that reads (or reverts) must not leave an empty database behind a mistyped path.
 */
export function openConfigured(values: Values, io: Io, options: { create?: boolean } = {}): Store {
  const config = configOf(values, io);
  if (!options.create) refuseMissingDatabase(config);
  return createStore(config);
}

/**
 * The CLI's one progress reporter: a single line rewritten through `io.status`, at most ten
 * updates a second; silent (nothing written, no terminal codes) unless `io.tty`.
 */
export function progress(io: Io): { show: (text: string) => void; done: () => void } {
  let last = 0;
  const enabled = io.tty && io.status !== undefined;
  return {
    show(text) {
      const now = Date.now();
      if (!enabled || now - last < 100) return;
      last = now;
      io.status!(text);
    },
    done() {
      if (enabled) io.status!('');
    },
  };
}

/**
 * Runs `fn` with the configured store and closes it afterwards. A database holding an
 * unfinished copy is refused (naming the copy to finish) unless `unfinishedCopy: 'allow'`;
 * a missing SQLite file is refused unless `create` (init, migrate).
 */
export async function withStore<T>(
  values: Values,
  io: Io,
  fn: (store: Store) => Promise<T>,
  options: { unfinishedCopy?: 'refuse' | 'allow'; create?: boolean } = {},
): Promise<T> {
  const store = openConfigured(values, io, { create: options.create });
  try {
    if (options.unfinishedCopy !== 'allow') await refuseUnfinishedCopy(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}
