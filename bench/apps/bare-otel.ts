/**
 * Variant 2 of bench/http-load.ts: the example service (examples/app.ts) under a bare NodeSDK — http
 * instrumentation only, the AsyncLocalStorage context manager (the SDK's default), and a
 * BatchSpanProcessor exporting OTLP/HTTP JSON to the bench's sink (BENCH_SINK_URL), as
 * variant 3 does. The ESM loader hook is registered as `registerSessions` does, and the app
 * is imported after the SDK has started, so that `node:http` is instrumented.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { register } from 'node:module';

const sink = process.env.BENCH_SINK_URL;
if (!sink) throw new Error('bare-otel: BENCH_SINK_URL is not set');

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const processor = new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${sink}/bare-otel/v1/traces` }) });
const sdk = new NodeSDK({
  serviceName: 'bench-http-load',
  spanProcessors: [processor],
  logRecordProcessors: [],
  metricReaders: [],
  instrumentations: [new HttpInstrumentation()],
});
sdk.start();

const { createApp } = await import('../../examples/app.js');
const { serveApp } = await import('./serve.js');
await serveApp(createApp().fetch, { flush: () => processor.forceFlush() });
