/**
 * Variant (a) of bench/adopter.ts, what an adopter has today: the chat route on Hono under a
 * bare NodeSDK (bench/apps/bare-sdk.ts: http instrumentation, batch OTLP/JSON export to the
 * bench's sink), winston JSON lines to stdout, no otel-sessions at all. Hono, winston and the
 * server are loaded after the SDK has started, so that `node:http` is instrumented.
 * BENCH_SINK_SEGMENT names its path at the sink (default `adopter-bare`); BENCH_ROUTE_TURN_LATER=1
 * starts the route's work one event-loop turn later.
 */
import { startBareSdk } from './bare-sdk.js';

const sink = process.env.BENCH_SINK_URL;
if (!sink) throw new Error('adopter-bare: BENCH_SINK_URL is not set');
const flush = startBareSdk('bench-adopter', `${sink}/${process.env.BENCH_SINK_SEGMENT ?? 'adopter-bare'}/v1/traces`);
// The breakdown's "(a) route a turn later": the route awaits setImmediate before its work.
const turnLater = process.env.BENCH_ROUTE_TURN_LATER === '1';

const { Hono } = await import('hono');
const { default: winston } = await import('winston');
const { serveApp } = await import('./serve.js');

const logger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console()],
});

const app = new Hono();
app.post('/chat', async (c) => {
  if (turnLater) await new Promise((resolve) => setImmediate(resolve));
  const { message } = await c.req.json<{ message: string }>();
  logger.info('Message received', { length: message.length });
  const reply = `You said: ${message}`;
  logger.info('Reply ready', { length: reply.length });
  return c.json({ reply });
});
await serveApp(app.fetch, { flush });
