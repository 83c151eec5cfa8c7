import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../src/domain/errors.js';
import { capabilitiesOf, engineNamed, type EngineName } from '../src/engines/registry.js';
import { openStore, type OpenedStore } from '../src/open-store.js';
import type { ConnectionSpec } from './contract/engines.js';
import { observedEngines } from './support/observed-engines.js';
import { openOptions } from './support/open-options.js';

/** The driver's own code for a duplicate primary key, as `error.type` of the failing statement (a new engine adds its own). */
const DUPLICATE_KEY_CODE: Record<EngineName, string> = {
  postgresql: '23505', // SQLSTATE
  sqlite: 'SQLITE_CONSTRAINT_PRIMARYKEY', // the extended result code
  mariadb: 'ER_DUP_ENTRY', // the driver's error code
};

/** Values that only ever travel as parameters: finding one in telemetry means a value leaked. */
const SECRET = 'tok-77b2e0-never-in-sql';
const SESSION_ID = 'otel-session-5c1d';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const meterProvider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  // Registered before any store opens, as an application registers its SDK first.
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
});
afterAll(async () => {
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  trace.disable();
  metrics.disable();
});

const engines = observedEngines('tc_otel');

function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  return spans.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
}

function callSpans(name: string): ReadableSpan[] {
  return spans.getFinishedSpans().filter((s) => s.name === name);
}

for (const engine of engines) {
  describe(`OpenTelemetry (${engine.name})`, () => {
    let spec: ConnectionSpec;
    let store: OpenedStore;
    beforeAll(async () => {
      spec = await engine.setup();
      store = await openStore({ ...openOptions(spec), autoMigrate: true, instanceLock: false });
    });
    beforeEach(() => spans.reset());
    afterEach(() => spans.reset());
    afterAll(async () => {
      await store.close();
      await engine.teardown();
    });

    it('one CLIENT span per repository call, its statements as children with the database attributes', async () => {
      await store.repositories.sessions.create({ id: SESSION_ID, computerName: SECRET });
      expect((await store.repositories.sessions.get(SESSION_ID))?.computerName).toBe(SECRET);

      const [create] = callSpans('sessions.create');
      const [get] = callSpans('sessions.get');
      expect(callSpans('sessions.create')).toHaveLength(1);
      expect(callSpans('sessions.get')).toHaveLength(1);
      for (const call of [create!, get!]) {
        expect(call.kind).toBe(SpanKind.CLIENT);
        expect(call.attributes['db.system.name']).toBe(engine.name);
        expect(call.status.code).not.toBe(SpanStatusCode.ERROR);
      }
      const statements = childrenOf(get!);
      expect(statements.length).toBeGreaterThan(0);
      const select = statements.find((s) => s.attributes['db.operation.name'] === 'SELECT');
      expect(select).toBeDefined();
      expect(select!.kind).toBe(SpanKind.CLIENT);
      expect(select!.attributes['db.system.name']).toBe(engine.name);
      expect(select!.attributes['db.collection.name']).toBe('sessions');
      expect(select!.attributes['db.query.summary']).toBe('SELECT sessions');
      expect(select!.name).toBe('SELECT sessions');
      const insert = childrenOf(create!).find((s) => s.attributes['db.operation.name'] === 'INSERT');
      expect(insert?.attributes['db.collection.name']).toBe('sessions');
      if (capabilitiesOf(engineNamed(spec.engine)).networked) {
        // The server the tests run on (e.g. the local PostgreSQL on 5432, or an embedded one on a free port).
        const server = new URL(spec.location);
        expect(select!.attributes['server.address']).toBe(server.hostname);
        expect(select!.attributes['server.port']).toBeTypeOf('number');
        if (server.port) expect(select!.attributes['server.port']).toBe(Number(server.port));
        expect(get!.attributes['server.port']).toBe(select!.attributes['server.port']);
      } else {
        expect(select!.attributes).not.toHaveProperty('server.address');
      }
      // Children lie within their call.
      for (const s of statements) {
        expect(s.startTime[0] * 1e9 + s.startTime[1]).toBeGreaterThanOrEqual(get!.startTime[0] * 1e9 + get!.startTime[1] - 1e6);
      }
    });

    it('queue claims and marks are spans too', async () => {
      const id = await store.repositories.hookOutbox.enqueue({ sessionId: 's', eventType: 'stop' });
      const [claimed] = await store.repositories.hookOutbox.claimBatch({ limit: 10 });
      expect(claimed!.id).toBe(id);
      await store.repositories.hookOutbox.markDelivered(claimed!.id, claimed!.claimToken);
      for (const name of ['hookOutbox.enqueue', 'hookOutbox.claimBatch', 'hookOutbox.markDelivered']) {
        const [span] = callSpans(name);
        expect(span, name).toBeDefined();
        expect(childrenOf(span!).length, name).toBeGreaterThan(0);
      }
      expect(JSON.stringify(spans.getFinishedSpans().map((s) => s.attributes))).not.toContain(claimed!.claimToken);
    });

    it('a failing call sets error.type on the call and the statement, and the status to ERROR', async () => {
      await store.repositories.sessions.create({ id: 'otel-dup', computerName: 'mac' });
      spans.reset();
      await expect(store.repositories.sessions.create({ id: 'otel-dup', computerName: 'mac' })).rejects.toBeInstanceOf(ConflictError);
      const [call] = callSpans('sessions.create');
      expect(call!.status.code).toBe(SpanStatusCode.ERROR);
      expect(call!.attributes['error.type']).toBe('TC_CONFLICT');
      const failed = childrenOf(call!).filter((s) => s.attributes['error.type'] !== undefined);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.attributes['error.type']).toBe(DUPLICATE_KEY_CODE[engine.name]);
    });

    it('records db.client.operation.duration in seconds, and no parameter value in any attribute', async () => {
      await store.repositories.settings.set('otel.key', SECRET);
      await store.repositories.sessions.get(SESSION_ID);
      const allSpanAttributes = JSON.stringify(spans.getFinishedSpans().map((s) => [s.name, s.attributes]));
      expect(allSpanAttributes).not.toContain(SECRET);
      expect(allSpanAttributes).not.toContain(SESSION_ID);

      await reader.forceFlush();
      const exported = metricExporter.getMetrics().at(-1)!;
      const histogram = exported.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'db.client.operation.duration');
      expect(histogram).toBeDefined();
      expect(histogram!.descriptor.unit).toBe('s');
      const points = histogram!.dataPoints.filter((p) => p.attributes['db.system.name'] === engine.name);
      expect(points.length).toBeGreaterThan(0);
      const select = points.find((p) => p.attributes['db.collection.name'] === 'sessions' && p.attributes['db.operation.name'] === 'SELECT');
      expect(select).toBeDefined();
      const value = select!.value as { count: number; sum: number; max?: number };
      expect(value.count).toBeGreaterThan(0);
      // Seconds, not milliseconds: a local SELECT takes well under a second.
      expect(value.max!).toBeLessThan(1);
      expect(JSON.stringify(points.map((p) => p.attributes))).not.toContain(SECRET);
    });
  });
}
