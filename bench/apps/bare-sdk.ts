/**
 * The bare OpenTelemetry set-up of the benchmarks' baseline variants, as a user would write
 * it without otel-sessions: a NodeSDK with http instrumentation only, the AsyncLocalStorage
 * context manager (the SDK's default), and a BatchSpanProcessor (SDK defaults) around the
 * official OTLPTraceExporter posting OTLP/HTTP JSON to `tracesUrl`. No log export, no
 * metrics. The ESM loader hook is registered as `registerSessions` does, so the app must be
 * imported after this has run for `node:http` to be instrumented.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { register } from 'node:module';

/** Starts the bare SDK; returns a function exporting every ended span. */
export function startBareSdk(serviceName: string, tracesUrl: string): () => Promise<void> {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const processor = new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl }) });
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors: [processor],
    logRecordProcessors: [],
    metricReaders: [],
    instrumentations: [new HttpInstrumentation()],
  });
  sdk.start();
  return () => processor.forceFlush();
}
