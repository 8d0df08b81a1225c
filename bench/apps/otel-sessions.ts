/**
 * Variant 3 of bench/http-load.ts: the example service (examples/app.ts, with the sessions
 * middleware and MyAgent) under `registerSessions`: a memory thread store, and spans and log
 * records exported OTLP/HTTP JSON to the bench's sink (BENCH_SINK_URL), as variant 2 does.
 * The app is imported after registering, so that `node:http` is instrumented.
 */
import { MemoryThreadStore, registerSessions } from 'otel-sessions';

const sink = process.env.BENCH_SINK_URL;
if (!sink) throw new Error('otel-sessions: BENCH_SINK_URL is not set');

const otel = registerSessions({
  serviceName: 'bench-http-load',
  endpoint: `${sink}/otel-sessions`,
  threadStore: new MemoryThreadStore(),
  logToConsole: false,
});

const { createApp } = await import('../../examples/app.js');
const { serveApp } = await import('./serve.js');
await serveApp(createApp().fetch, { flush: () => otel.forceFlush() });
