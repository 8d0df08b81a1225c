/**
 * The app of redis-sessions.test.ts: the example service (`createApp()` from examples/app.ts,
 * `POST /chat` keeps the messages of a thread) plus two test routes, served on
 * 127.0.0.1:$PORT. Start with `node --import otel-sessions/register --import tsx chat-service.ts`
 * and OTEL_SESSIONS_REDIS_URL set, so that its threads live in Redis.
 *
 * - `POST /state/:key` sets thread state `<key>` to the request's JSON body and answers
 *   `{ threadId, key }` (concurrent sessions of one thread writing different keys).
 * - `GET /thread` answers `{ threadId, keys }`: the thread's state keys.
 * - `POST /push/:key?max=N` pushes the request's JSON body onto thread state `<key>` (the
 *   newest N entries kept when given), logs one line, and answers `{ threadId, key }`.
 * - `GET /state/:key` answers `{ threadId, value }`.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../../../examples/app.js';

const app = createApp();

app.post('/state/:key', async (c) => {
  const key = c.req.param('key');
  await c.var.thread.state.set(key, await c.req.json());
  return c.json({ threadId: c.var.threadId, key });
});

app.post('/push/:key', async (c) => {
  const key = c.req.param('key');
  const max = c.req.query('max');
  await c.var.thread.state.push(key, await c.req.json(), max === undefined ? undefined : Number(max));
  c.var.logger.info('pushed', { key });
  return c.json({ threadId: c.var.threadId, key });
});

app.get('/state/:key', async (c) =>
  c.json({ threadId: c.var.threadId, value: (await c.var.thread.state.get(c.req.param('key'))) ?? null }),
);

app.get('/thread', async (c) => c.json({ threadId: c.var.threadId, keys: await c.var.thread.state.keys() }));

const port = Number(process.env.PORT ?? 0);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`chat-service listening on ${info.port}\n`);
});
