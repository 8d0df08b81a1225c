/**
 * The demo service of jaeger-sessions.test.ts: each POST /chat is a session that runs an
 * agent, sets `session.metadata.requestType`, logs, and calls echo-service with fetch.
 * It trusts no inbound baggage (the default). Start with
 * `node --import otel-sessions/register --import tsx demo-service.ts`, PORT and ECHO_URL set.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createAgent } from 'otel-sessions';
import { sessions, type SessionsEnv } from 'otel-sessions/hono';

interface ChatInput {
  requestType: string;
  message: string;
}

const echoUrl = process.env.ECHO_URL ?? '';

const agent = createAgent<ChatInput, { echo: unknown }>('demo-agent', {
  handler: async (ctx, input) => {
    // Written inside the agent.run span: the test finds it as a `log` event there.
    ctx.logger.info(`demo-agent: handling ${input.requestType}`, { requestType: input.requestType });
    const response = await fetch(`${echoUrl}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    if (!response.ok) throw new Error(`echo-service answered ${response.status}`);
    return { echo: await response.json() };
  },
});

const app = new Hono<SessionsEnv>();
app.use(sessions());

app.post('/chat', async (c) => {
  const input = (await c.req.json()) as ChatInput;
  c.var.session.metadata.requestType = input.requestType;
  // A thread is kept only once it holds something: count the turns, so the next one continues it.
  await c.var.thread.state.set('turns', ((await c.var.thread.state.get<number>('turns')) ?? 0) + 1);
  // Written in the route, outside the agent: a `log` event on the server (root) span.
  c.var.logger.info(`demo-service: received ${input.requestType}`, { requestType: input.requestType });
  const { echo } = await agent.run(input);
  return c.json({ sessionId: c.var.sessionId, threadId: c.var.threadId, echo });
});

const port = Number(process.env.PORT);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`demo-service listening on ${info.port}\n`);
});
