/**
 * The example service without otel-sessions: the routes of examples/app.ts, with a /chat
 * handler doing what the sessions middleware, the agent's validator and MyAgent do, minus
 * the telemetry: validate the JSON body with the same zod schema, make a session ID, continue
 * the thread named by `x-thread-id` (else start one), push the message onto its last 20,
 * save it, and answer with the reply and the session and thread IDs.
 */
import { Hono } from 'hono';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

const input = z.object({ message: z.string().min(1), turn: z.number().int().optional() });

/** Threads in memory: ID → the last 20 messages (saved as a copy, as a thread store would). */
const threads = new Map<string, string[]>();

export function createPlainApp(): Hono {
  const app = new Hono();
  app.post('/chat', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ success: false, error: 'Request body must be JSON', issues: [] }, 400);
    }
    const parsed = await input['~standard'].validate(body);
    if (parsed.issues)
      return c.json({ success: false, error: 'Invalid input', issues: parsed.issues.map((i) => i.message) }, 400);
    const sessionId = randomUUID();
    const token = c.req.header('x-thread-id');
    const saved = token === undefined ? undefined : threads.get(token);
    const threadId = saved === undefined ? randomUUID() : (token as string);
    const messages = [...(saved ?? []), parsed.value.message].slice(-20);
    await Promise.resolve(); // a store's save is asynchronous
    threads.set(threadId, messages);
    c.header('x-session-id', sessionId);
    c.header('x-thread-id', threadId);
    return c.json({ reply: `You said: ${parsed.value.message}`, turns: messages.length, sessionId });
  });
  for (const path of ['session-example', 'error-handler', 'webhook', 'timing', 'user-context']) {
    app.post(`/agents/${path}`, async (c) => c.json(await c.req.json()));
  }
  app.get('/boom', () => {
    throw new Error('boom');
  });
  return app;
}
