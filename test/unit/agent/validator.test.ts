import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { Hono } from 'hono';
import { createAgent } from '../../../src/agent/create-agent.js';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { serveOnLoopback, type ServedApp } from '../../support/http.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const store = new MemoryThreadStore();
const MiB = 1024 * 1024;

const echo = createAgent('Echo', { handler: (_ctx, input: unknown) => input });

function app(validator = echo.validator()): Hono<SessionsEnv> {
  const hono = new Hono<SessionsEnv>();
  hono.use(sessions({ threadStore: store, secret: 'validator-secret-validator-secret-0123' }));
  hono.post('/', validator, (c) => c.json({ got: c.req.valid('json') }));
  return hono;
}

let served: ServedApp;
before(async () => (served = await serveOnLoopback(app())));
after(async () => {
  await served.close();
  await store.close();
});

/** A body of `total` bytes made as it is read, in 64 KiB chunks; `pulled()` tells how much was read. */
function lazyBody(total: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => sent };
}

test('a JSON body under the limit is validated and handed on', async () => {
  const response = await app().request('/', { method: 'POST', body: JSON.stringify({ a: [1, { b: 'c' }] }) });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { got: { a: [1, { b: 'c' }] } });
});

test('a streamed 64 MiB body: 413 with sessionId, read no further than the limit, RSS far below 64 MiB more', async () => {
  const before = process.memoryUsage().rss;
  const { body, pulled } = lazyBody(64 * MiB);
  const response = await app().request('/', { method: 'POST', body, duplex: 'half' } as RequestInit);
  assert.equal(response.status, 413);
  assert.deepEqual(await response.json(), {
    success: false,
    error: 'Request body too large',
    sessionId: response.headers.get('x-session-id'),
  });
  assert.ok(pulled() <= MiB + 2 * 64 * 1024, `read ${pulled()} bytes`);
  const grown = process.memoryUsage().rss - before;
  console.log(`streamed 64 MiB body: read ${pulled()} bytes, RSS grew ${(grown / MiB).toFixed(1)} MiB`);
  assert.ok(grown < 16 * MiB, `RSS grew ${grown} bytes`);
});

test('a 64 MiB body to a real server (Content-Length declared): 413 before the body is read', async () => {
  const before = process.memoryUsage().rss;
  const { port } = new URL(served.url);
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json', 'content-length': String(64 * MiB) },
    });
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, text });
        request.destroy();
      });
    });
    request.on('error', (error) => (answered ? undefined : reject(error)));
    // Write until the answer comes (or the whole body is out), minding backpressure.
    let written = 0;
    const write = (): void => {
      while (!answered && written < 64 * MiB) {
        written += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', write);
      }
      if (!answered) request.end();
    };
    write();
  });
  assert.equal(status, 413);
  assert.equal((JSON.parse(text) as { error: string }).error, 'Request body too large');
  const grown = process.memoryUsage().rss - before;
  console.log(`64 MiB body over loopback: RSS grew ${(grown / MiB).toFixed(1)} MiB`);
  assert.ok(grown < 16 * MiB, `RSS grew ${grown} bytes`);
});

test('maxBodyBytes: from validator({ maxBodyBytes }), else from createAgent, else 1 MiB', async () => {
  const body = JSON.stringify({ text: 'x'.repeat(100) });
  const status = async (validator: ReturnType<typeof echo.validator>, size = body) =>
    (await app(validator).request('/', { method: 'POST', body: size })).status;
  assert.equal(await status(echo.validator({ maxBodyBytes: 50 })), 413);
  assert.equal(await status(echo.validator({ maxBodyBytes: body.length })), 200, 'exactly the limit is fine');
  const small = createAgent('Small', { handler: (_ctx, input: unknown) => input, maxBodyBytes: 50 });
  assert.equal(await status(small.validator()), 413);
  assert.equal(await status(small.validator({ maxBodyBytes: 500 })), 200, 'the validator option wins');
  assert.equal(await status(echo.validator(), JSON.stringify('y'.repeat(MiB))), 413);
  assert.throws(() => echo.validator({ maxBodyBytes: 0 }), RangeError);
  assert.throws(() => echo.validator({ maxBodyBytes: Number.NaN }), RangeError);
});

test('JSON nested deeper than 64 levels is a 400, never a stack overflow; 64 levels are fine', async () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const post = (body: string) => app().request('/', { method: 'POST', body });
  const deep = await post(nested(500_000));
  assert.equal(deep.status, 400);
  const answer = (await deep.json()) as { error: string; sessionId: string };
  assert.equal(answer.error, 'Request body is nested deeper than 64 levels');
  assert.equal(answer.sessionId, deep.headers.get('x-session-id'));
  assert.equal((await post(nested(65))).status, 400);
  assert.equal((await post(nested(64))).status, 200);
  assert.equal((await post(JSON.stringify({ text: '[[[['.repeat(100) }))).status, 200, 'brackets in strings');
});

test('refused bodies are warned about, rate-limited', async () => {
  telemetry.logs.reset();
  await app(echo.validator({ maxBodyBytes: 10 })).request('/', { method: 'POST', body: '{"a":"bbbbbbbbbbbb"}' });
  const warnings = telemetry.logs
    .getFinishedLogRecords()
    .filter((record) => String(record.body).includes('was refused (413)'));
  assert.equal(warnings.length, 1);
});
