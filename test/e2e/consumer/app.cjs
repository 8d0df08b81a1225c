// The same user app in CommonJS:  node --require otel-sessions/register app.cjs
const http = require('node:http');
const { serve } = require('@hono/node-server');
const { Hono } = require('hono');
const { createAgent } = require('otel-sessions');
const { sessions } = require('otel-sessions/hono');

const downstream = http.createServer((_request, response) => response.end('{"ok":true}'));
downstream.listen(0, '127.0.0.1', () => {
  const downstreamUrl = `http://127.0.0.1:${downstream.address().port}/lookup`;

  const agent = createAgent('SessionExample', {
    handler: async (ctx, input) => {
      ctx.logger.child({ sessionId: ctx.sessionId }).info('Processing request');
      ctx.logger.child({ threadId: ctx.thread.id }).info('Thread context');
      await (await fetch(downstreamUrl)).json();
      return { sessionId: ctx.sessionId, echo: input && input.message };
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
});
