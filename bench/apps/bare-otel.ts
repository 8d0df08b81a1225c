/**
 * Variant 2 of bench/http-load.ts: the example service (examples/app.ts) under a bare NodeSDK
 * (bench/apps/bare-sdk.ts) exporting OTLP/HTTP JSON to the bench's sink (BENCH_SINK_URL), as
 * variant 3 does. The app is imported after the SDK has started, so that `node:http` is
 * instrumented.
 */
import { startBareSdk } from './bare-sdk.js';

const sink = process.env.BENCH_SINK_URL;
if (!sink) throw new Error('bare-otel: BENCH_SINK_URL is not set');
const flush = startBareSdk('bench-http-load', `${sink}/bare-otel/v1/traces`);

const { createApp } = await import('../../examples/app.js');
const { serveApp } = await import('./serve.js');
await serveApp(createApp().fetch, { flush });
