/**
 * Variant (b) of bench/adopter.ts: the route of variant (a) with otel-sessions, as the README
 * tells an adopter to add it. Started as `node --import otel-sessions/register --import tsx`,
 * configured by the environment alone (OTEL_EXPORTER_OTLP_ENDPOINT: the bench's sink;
 * OTEL_SESSIONS_SECRET), so spans and log records go to the sink and the logger writes JSON
 * lines to stdout (the default); `sessions()` on the app, `c.var.logger` in the route.
 */
import { Hono } from 'hono';
import { createLogger, registerSessions, type SessionsEnv } from 'otel-sessions';
import { sessions } from 'otel-sessions/hono';
import { serveApp } from './serve.js';

// The register entry has run already: this returns its handle.
const otel = registerSessions();

// The breakdown's "(b) without sessions()": the same route and logger, no middleware.
const withoutMiddleware = process.env.BENCH_WITHOUT_MIDDLEWARE === '1';
const plainLogger = withoutMiddleware ? createLogger() : undefined;

const app = new Hono<SessionsEnv>();
if (!withoutMiddleware) app.use(sessions());
app.post('/chat', async (c) => {
  const logger = plainLogger ?? c.var.logger;
  const { message } = await c.req.json<{ message: string }>();
  logger.info('Message received', { length: message.length });
  const reply = `You said: ${message}`;
  logger.info('Reply ready', { length: reply.length });
  return c.json({ reply });
});
await serveApp(app.fetch, { flush: () => otel.forceFlush() });
