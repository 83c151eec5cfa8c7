import { AsyncLocalStorage } from 'node:async_hooks';
import type { EngineName } from './ports/store.js';

/** One statement a store ran, as `onQuery` receives it. */
export interface QueryEvent {
  engine: EngineName;
  /** The SQL text, with placeholders (`?`, `$1`), never the values. */
  sql: string;
  /** Wall time of the statement on the client, in milliseconds. */
  durationMs: number;
  /** The repository call it served (`sessions.get`), or undefined outside one (migrations, maintenance, transaction control). */
  call: string | undefined;
  /** The statement's parameter values; present only with `includeParameters: true`. */
  parameters?: readonly unknown[];
  /** Set when the statement failed (the error as thrown to the caller's code path, before translation). */
  error?: unknown;
}

export interface ObserveOptions {
  /**
   * Receives every statement with its duration, engine and the repository call it served.
   * Called synchronously after the statement; an exception it throws is swallowed so that
   * observing can never change what a repository call does.
   */
  onQuery?: (event: QueryEvent) => void;
  /** Pass the statements' parameter values to `onQuery` (default false: they may hold tokens and secrets). */
  includeParameters?: boolean;
}

const currentCall = new AsyncLocalStorage<string>();

/** Runs `fn` as the repository call `name`, so statements it runs are reported under it. */
export function inCall<T>(name: string, fn: () => T): T {
  return currentCall.run(name, fn);
}

/** Reports a store's statements to its `onQuery`. Engines hold one only when observing was asked for. */
export class QueryObserver {
  constructor(
    readonly engine: EngineName,
    private readonly options: ObserveOptions,
  ) {}

  /** Reports one statement that started at `start` (performance.now()); `error` when it failed. */
  report(sql: string, parameters: unknown, start: number, error?: unknown): void {
    const onQuery = this.options.onQuery;
    if (!onQuery) return;
    const event: QueryEvent = { engine: this.engine, sql, durationMs: performance.now() - start, call: currentCall.getStore() };
    if (this.options.includeParameters) event.parameters = Array.isArray(parameters) ? [...parameters] : parameters === undefined ? [] : [parameters];
    if (error !== undefined) event.error = error;
    try {
      onQuery(event);
    } catch {
      // See ObserveOptions.onQuery.
    }
  }
}

/** An observer for `options`, or undefined when nothing asks to observe (the engines then run exactly as before). */
export function createObserver(engine: EngineName, options: ObserveOptions | undefined): QueryObserver | undefined {
  return options?.onQuery ? new QueryObserver(engine, options) : undefined;
}
