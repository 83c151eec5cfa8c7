/**
 * What the repository bench observes, from BENCH_OBSERVE: unset, nothing (the default, the
 * figures the targets are about); `onquery`, an empty onQuery; `otel`, an OpenTelemetry
 * tracer and meter provider registered (spans and histogram built, then dropped).
 */
import type { ObserveOptions } from '../src/observability.js';

export async function benchObserve(): Promise<ObserveOptions> {
  const mode = process.env.BENCH_OBSERVE;
  if (mode === 'onquery') return { onQuery: () => {} };
  if (mode === 'otel') {
    const { metrics, trace } = await import('@opentelemetry/api');
    const { BasicTracerProvider, NoopSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }));
    metrics.setGlobalMeterProvider(new MeterProvider());
  }
  return {};
}
