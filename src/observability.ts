import { AsyncLocalStorage } from 'node:async_hooks';
import type * as Otel from '@opentelemetry/api';

/** One statement a store ran, as `onQuery` receives it. */
export interface QueryEvent {
  /** The engine's registry name (`sqlite`, `postgresql`, ...), also OpenTelemetry's `db.system.name`. */
  engine: string;
  /** The SQL text, with placeholders (`?`, `$1`), never the values. */
  sql: string;
  /** Wall time of the statement on the client, in milliseconds. */
  durationMs: number;
  /** The repository call it served (`sessions.get`), or undefined outside one (transaction control, inspection, maintenance). */
  call: string | undefined;
  /** The statement's parameter values; present only with `includeParameters: true`. */
  parameters?: readonly unknown[];
  /** Set when the statement failed: the driver's error, before this package translates it. */
  error?: unknown;
}

export interface ObserveOptions {
  /**
   * Receives every statement with its duration, engine and the repository call it served.
   * Called synchronously after the statement; an exception it throws is swallowed so that
   * observing can never change what a repository call does.
   */
  onQuery?: (event: QueryEvent) => void;
  /** Pass the statements' parameter values to `onQuery` (default false: they may hold tokens and secrets). Never given to OpenTelemetry. */
  includeParameters?: boolean;
}

/** Where a PostgreSQL store's server is, for `server.address` / `server.port`. */
export interface ServerAddress {
  address: string;
  port: number;
}

function isMissingPackage(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  const missing = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND';
  return missing && (e?.message ?? '').includes(name);
}

// An optional peer dependency: without it, OpenTelemetry costs nothing.
const otel: typeof Otel | undefined = await import('@opentelemetry/api').catch((error: unknown) => {
  if (isMissingPackage(error, '@opentelemetry/api')) return undefined;
  throw error;
});

/** The delegate of a ProxyTracerProvider nobody registered a provider on: the no-op one. */
const noopTracerDelegate = otel ? new otel.ProxyTracerProvider().getDelegate() : undefined;

/** Whether an OpenTelemetry SDK registered a tracer or meter provider (both are no-ops otherwise). */
function telemetryRegistered(api: typeof Otel): boolean {
  const tracer = api.trace.getTracerProvider();
  const delegate = tracer instanceof api.ProxyTracerProvider ? tracer.getDelegate() : tracer;
  return delegate !== noopTracerDelegate || api.metrics.getMeterProvider().constructor.name !== 'NoopMeterProvider';
}

const INSTRUMENTATION = 'teleclaude-persistence';
/** Bucket boundaries the database semantic conventions advise for db.client.operation.duration (seconds). */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

interface CallState {
  name: string;
  span?: Otel.Span;
}

const currentCall = new AsyncLocalStorage<CallState>();

/** `SELECT`, `INSERT`, ... and the table a statement works on, from its text (never from values). */
export function summarize(sql: string): { operation: string; collection?: string; summary: string } {
  const text = sql.replace(/--[^\n]*/g, ' ').trim();
  const operation = (/^[A-Za-z]+/.exec(text)?.[0] ?? 'SQL').toUpperCase();
  const pattern =
    operation === 'INSERT' ? /\binto\s+("?[\w.]+"?)/i
    : operation === 'UPDATE' ? /^update\s+("?[\w.]+"?)/i
    : operation === 'DELETE' ? /\bfrom\s+("?[\w.]+"?)/i
    : operation === 'SELECT' || operation === 'WITH' ? /\bfrom\s+("?[\w.]+"?)/i
    : undefined;
  const match = pattern?.exec(text)?.[1];
  const collection = match ? match.replace(/"/g, '').replace(/^.*\./, '') : undefined;
  return { operation, collection, summary: collection ? `${operation} ${collection}` : operation };
}

/** The error's low-cardinality type: its code (SQLSTATE, SQLITE_*, TC_*) or its class name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code) return code;
  return error instanceof Error ? error.constructor.name : '_OTHER';
}

interface Telemetry {
  api: typeof Otel;
  tracer: Otel.Tracer;
  duration: Otel.Histogram;
  base: Otel.Attributes;
}

/**
 * Reports a store's statements to `onQuery` and, when an OpenTelemetry SDK is registered,
 * as spans (one per repository call, the statements as its children) and the
 * `db.client.operation.duration` histogram. Engines hold one only when something observes.
 */
export class QueryObserver {
  private readonly telemetry?: Telemetry;

  // `telemetry` is typed loosely here so that the published declarations never name
  // @opentelemetry/api, which a project without it could not resolve.
  constructor(
    readonly engine: string,
    private readonly options: ObserveOptions,
    telemetry?: object,
  ) {
    this.telemetry = telemetry as Telemetry | undefined;
  }

  /** Runs `fn` (a repository call's work, returning a promise) as the call `name`. */
  call<T>(name: string, fn: () => T): T {
    const t = this.telemetry;
    if (!t) return currentCall.run({ name }, fn);
    const span = t.tracer.startSpan(name, { kind: t.api.SpanKind.CLIENT, attributes: { ...t.base, 'db.operation.name': name } });
    const fail = (error: unknown) => {
      span.setAttribute('error.type', errorType(error));
      span.setStatus({ code: t.api.SpanStatusCode.ERROR, message: error instanceof Error ? error.name : undefined });
      span.end();
      throw error;
    };
    let result: T;
    try {
      result = currentCall.run({ name, span }, () => t.api.context.with(t.api.trace.setSpan(t.api.context.active(), span), fn));
    } catch (error) {
      return fail(error);
    }
    if (result instanceof Promise) {
      return result.then((value: unknown) => {
        span.end();
        return value;
      }, fail) as T;
    }
    span.end();
    return result;
  }

  /** Reports one statement that started at `start` (performance.now()); `error` when it failed. */
  report(sql: string, parameters: unknown, start: number, error?: unknown): void {
    const end = performance.now();
    const state = currentCall.getStore();
    const onQuery = this.options.onQuery;
    if (onQuery) {
      const event: QueryEvent = { engine: this.engine, sql, durationMs: end - start, call: state?.name };
      if (this.options.includeParameters) event.parameters = Array.isArray(parameters) ? [...parameters] : parameters === undefined ? [] : [parameters];
      if (error !== undefined) event.error = error;
      try {
        onQuery(event);
      } catch {
        // See ObserveOptions.onQuery.
      }
    }
    const t = this.telemetry;
    if (!t) return;
    const { operation, collection, summary } = summarize(sql);
    const attributes: Otel.Attributes = { ...t.base, 'db.operation.name': operation, 'db.query.summary': summary };
    if (collection) attributes['db.collection.name'] = collection;
    if (error !== undefined) attributes['error.type'] = errorType(error);
    t.duration.record((end - start) / 1000, attributes);
    const parent = state?.span ? t.api.trace.setSpan(t.api.context.active(), state.span) : t.api.context.active();
    // Only the statement text (placeholders), never parameter values.
    const span = t.tracer.startSpan(summary, { kind: t.api.SpanKind.CLIENT, startTime: start, attributes: { ...attributes, 'db.query.text': sql } }, parent);
    if (error !== undefined) span.setStatus({ code: t.api.SpanStatusCode.ERROR });
    span.end(end);
  }
}

/**
 * An observer for `options`, or undefined when nothing observes (no `onQuery`, and no
 * OpenTelemetry SDK registered when the store is opened): the engines then run exactly as
 * before. `server` sets `server.address` / `server.port` (PostgreSQL).
 */
export function createObserver(engine: string, options: ObserveOptions | undefined, server?: ServerAddress): QueryObserver | undefined {
  let telemetry: Telemetry | undefined;
  if (otel && telemetryRegistered(otel)) {
    const base: Otel.Attributes = { 'db.system.name': engine };
    if (server) Object.assign(base, { 'server.address': server.address, 'server.port': server.port });
    telemetry = {
      api: otel,
      tracer: otel.trace.getTracer(INSTRUMENTATION),
      duration: otel.metrics.getMeter(INSTRUMENTATION).createHistogram('db.client.operation.duration', {
        description: 'Duration of database client operations.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      base,
    };
  }
  return options?.onQuery || telemetry ? new QueryObserver(engine, options ?? {}, telemetry) : undefined;
}
