/**
 * The app of cli-jaeger.test.ts: GET /hello is a plain route; POST /chat runs an agent that
 * throws when the input says `fail: true`. Both log with `c.var.logger`, and /chat sets
 * `session.metadata.requestType`. Start with
 * `node --import otel-sessions/register --import tsx flaky-service.ts`, PORT set.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createAgent } from 'otel-sessions';
import { sessions, type SessionsEnv } from 'otel-sessions/hono';

interface ChatInput {
  requestType: string;
  fail: boolean;
}

/** The message of the error the agent throws when asked to fail (FLAKY_ERROR in start-flaky-app.ts). */
const FLAKY_ERROR = 'flaky-agent: upstream exploded';

const agent = createAgent<ChatInput, { done: string }>('flaky-agent', {
  handler: async (ctx, input) => {
    ctx.logger.info(`flaky-agent: working on ${input.requestType}`, { requestType: input.requestType });
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (input.fail) {
      ctx.logger.warn('flaky-agent: upstream is slow', { attempt: 2 });
      throw new Error(FLAKY_ERROR);
    }
    return { done: input.requestType };
  },
});

const app = new Hono<SessionsEnv>();
app.use(sessions());

app.get('/hello', (c) => {
  c.var.logger.info('flaky-service: hello', { route: 'hello' });
  return c.json({ sessionId: c.var.sessionId, threadId: c.var.threadId });
});

app.post('/chat', async (c) => {
  const input = (await c.req.json()) as ChatInput;
  c.var.session.metadata.requestType = input.requestType;
  c.var.logger.info(`flaky-service: received ${input.requestType}`, { requestType: input.requestType });
  const { done } = await agent.run(input);
  return c.json({ sessionId: c.var.sessionId, threadId: c.var.threadId, done });
});

const port = Number(process.env.PORT);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`flaky-service listening on ${info.port}\n`);
});
