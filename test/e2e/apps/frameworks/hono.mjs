// Hono on @hono/node-server with `node --import otel-sessions/register hono.mjs`.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sessions } from 'otel-sessions/hono';
import { listening, port, remember, slowly } from './remember-agent.mjs';

const app = new Hono();
app.use(sessions());
app.post('/chat', async (c) => c.json({ ...(await remember.run(await c.req.json())), sessionId: c.var.sessionId }));
app.get('/health', (c) => c.text('ok'));
app.get('/slow', async (c) => {
  await slowly();
  return c.text(`slow done ${c.var.sessionId}`);
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => listening(info.port));
