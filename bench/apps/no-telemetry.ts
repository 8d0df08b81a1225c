/** Variant 1 of bench/http-load.ts: the example service (examples/app.ts) with no OpenTelemetry SDK: the API is a no-op. */
const { createApp } = await import('../../examples/app.js');
const { serveApp } = await import('./serve.js');
await serveApp(createApp().fetch);
