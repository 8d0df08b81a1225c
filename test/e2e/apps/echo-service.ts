/**
 * The second service of jaeger-sessions.test.ts: an internal service that trusts its
 * callers' baggage, so a call from demo-service continues demo-service's session and thread.
 * Start with `node --import tsx --import ./echo-register.ts echo-service.ts`, PORT set: that
 * preload's edge trusts the callers (sessions() exposes what the edge made).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sessions, type SessionsEnv } from 'otel-sessions/hono';

const app = new Hono<SessionsEnv>();
app.use(sessions());

app.post('/echo', async (c) => {
  const body: unknown = await c.req.json();
  c.var.logger.info('echo-service: echoing', { hop: 'echo' });
  // The baggage header as it arrived: what the calling service propagated.
  const baggage = c.req.header('baggage') ?? null;
  return c.json({ sessionId: c.var.sessionId, threadId: c.var.threadId, baggage, echoed: body });
});

const port = Number(process.env.PORT);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`echo-service listening on ${info.port}\n`);
});
