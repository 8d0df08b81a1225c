// A user's ESM app, written against the installed package as the guide writes it:
//   node --import otel-sessions/register app.mjs
import http from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createAgent } from 'otel-sessions';
import { sessions } from 'otel-sessions/hono';

// A downstream service, so that the agent's outbound call makes a client span.
const downstream = http.createServer((_request, response) => response.end('{"ok":true}'));
await new Promise((resolve) => downstream.listen(0, '127.0.0.1', resolve));
const downstreamUrl = `http://127.0.0.1:${downstream.address().port}/lookup`;

const agent = createAgent('SessionExample', {
  handler: async (ctx, input) => {
    ctx.logger.child({ sessionId: ctx.sessionId }).info('Processing request');
    ctx.logger.child({ threadId: ctx.thread.id }).info('Thread context');
    await (await fetch(downstreamUrl)).json();
    return { sessionId: ctx.sessionId, echo: input?.message };
  },
});

const app = new Hono();
app.use(sessions());
app.post('/chat', async (c) => c.json({ ...(await agent.run(await c.req.json())), sessionId: c.var.sessionId }));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on ${info.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  downstream.close();
});
