import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { createAgent } from '../../../src/agent/create-agent.js';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { createLogger } from '../../../src/logging/create-logger.js';
import { createRuntime, setRuntime } from '../../../src/runtime/runtime.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';

// No OpenTelemetry SDK in this file: the API's context manager is the no-op one.
setRuntime(
  createRuntime({
    threadStore: new MemoryThreadStore(),
    logger: createLogger({ console: false }),
    secret: 'no-sdk-secret-no-sdk-secret-0123456789',
  }),
);

test('without any SDK registered, agent.run inside a route still joins the route session', async () => {
  const agent = createAgent('Probe', {
    handler: async (ctx) => ({ sessionId: ctx.sessionId, threadId: ctx.thread.id }),
  });
  const app = new Hono<SessionsEnv>();
  app.use(sessions({ secret: 'no-sdk-secret-no-sdk-secret-0123456789' }));
  app.post('/', async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const result = await agent.run({});
    return c.json({ ...result, routeSession: c.var.sessionId, routeThread: c.var.thread.id });
  });
  const body = (await (await app.request('/', { method: 'POST' })).json()) as Record<string, string>;
  assert.equal(body.sessionId, body.routeSession);
  assert.equal(body.threadId, body.routeThread);
});
