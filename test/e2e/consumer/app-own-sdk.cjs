// The user app under the user's own NodeSDK and auto-instrumentations: a plain winston logger
// of its own (instrumented by instrumentation-winston) beside the sessions logger.
const http = require('node:http');
const { serve } = require('@hono/node-server');
const { Hono } = require('hono');
const winston = require('winston');
const { createAgent } = require('otel-sessions');
const { sessions } = require('otel-sessions/hono');

const appLogger = winston.createLogger({ transports: [new winston.transports.Console()] });
const downstream = http.createServer((_request, response) => response.end('{"ok":true}'));
downstream.listen(0, '127.0.0.1', () => {
  const downstreamUrl = `http://127.0.0.1:${downstream.address().port}/lookup`;

  const agent = createAgent('SessionExample', {
    handler: async (ctx) => {
      ctx.logger.info('sessions logger line', { sessionId: ctx.sessionId });
      appLogger.info('plain winston line', { marker: ctx.sessionId });
      await (await fetch(downstreamUrl)).json();
      return { sessionId: ctx.sessionId };
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
