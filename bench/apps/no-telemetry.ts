/** Variant 1 of bench/http-load.ts: the plain service (bench/apps/plain-app.ts), no OpenTelemetry at all. */
const { createPlainApp } = await import('./plain-app.js');
const { serveApp } = await import('./serve.js');
await serveApp(createPlainApp().fetch);
