// The HTTP edge on a real node:http server, under the real http instrumentation: every request
// is a session before the handler runs, whatever reads the body, and threads travel signed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type * as HttpModule from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { createAgent } from '../../../src/agent/create-agent.js';
import { installHttpEdge } from '../../../src/edge/node-http-edge.js';
import { SessionEdge } from '../../../src/edge/session-edge.js';
import { getSession, getSessionId, getThreadId } from '../../../src/session/context.js';
import { isSessionId } from '../../../src/session/ids.js';
import { installTestTelemetry } from '../../support/otel.js';
import { until } from '../../support/until.js';

const telemetry = installTestTelemetry();
const SECRET = 'edge-secret-edge-secret-edge-secret-0123';
// The edge first, then the instrumentation (as sessionsConfiguration does before sdk.start()).
installHttpEdge(new SessionEdge({ secret: SECRET, ignorePaths: ['/health', '/static/*'] }, () => telemetry.runtime));
registerInstrumentations({ instrumentations: [new HttpInstrumentation()], tracerProvider: telemetry.tracerProvider });
const http = createRequire(import.meta.url)('node:http') as typeof HttpModule;

const remember = createAgent('Remember', {
  handler: async (ctx, input: { message?: string }) => {
    await ctx.thread.state.push('messages', input.message ?? '(none)', 20);
    ctx.logger.info('remembered');
    return { sessionId: ctx.sessionId, threadId: ctx.thread.id, messages: await ctx.thread.state.get('messages') };
  },
});

type Handler = (request: IncomingMessage, response: ServerResponse) => void;
let server: Server;
let base: string;
let handler: Handler = (_request, response) => response.end();

before(async () => {
  server = http.createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.close();
  installHttpEdge(undefined);
});

/** Reads the body with callbacks, as Express's and Fastify's body parsers do, then answers JSON. */
function callbackJson(work: (body: { message?: string }) => Promise<unknown>): Handler {
  return (request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      void work(text === '' ? {} : (JSON.parse(text) as { message?: string })).then((answer) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(answer));
      });
    });
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

test('the http instrumentation wraps the edge, so its server span is the session root', () => {
  assert.equal((http.Server.prototype.emit as { __wrapped?: boolean }).__wrapped, true);
});

test('a plain handler runs in a session: IDs in the handler, in a body callback, on the server span, its child spans and log records', async () => {
  telemetry.spans.reset();
  telemetry.logs.reset();
  handler = callbackJson(async () => {
    trace.getTracer('test').startActiveSpan('inside', (span) => span.end());
    telemetry.runtime.logger.info('handled');
    return { sessionId: getSessionId(), threadId: getThreadId() };
  });
  const response = await post('/chat', { message: 'hi' });
  const answer = (await response.json()) as { sessionId: string; threadId: string };
  assert.ok(isSessionId(answer.sessionId), 'the body callback ran inside the session');
  assert.equal(response.headers.get('x-session-id'), answer.sessionId);
  assert.match(response.headers.get('set-cookie') ?? '', /^otel_sessions_thread=thrd_.*; HttpOnly; SameSite=Lax$/);
  assert.equal(response.headers.get('cache-control'), 'private, no-store');
  await telemetry.tracerProvider.forceFlush();
  const spans = telemetry.spans.getFinishedSpans();
  const serverSpans = spans.filter((span) => span.kind === SpanKind.SERVER);
  assert.equal(serverSpans.length, 1, 'one server span: the instrumentation’s, adopted as the root');
  const [root] = serverSpans;
  assert.equal(root?.attributes['session.id'], answer.sessionId);
  assert.equal(root?.attributes['session.thread_id'], answer.threadId);
  const inside = spans.find((span) => span.name === 'inside');
  assert.equal(inside?.attributes['session.id'], answer.sessionId);
  assert.equal(inside?.parentSpanContext?.spanId, root?.spanContext().spanId);
  const record = telemetry.logs.getFinishedLogRecords().find((log) => log.body === 'handled');
  assert.equal(record?.attributes['session.id'], answer.sessionId);
});

test('three turns continue one thread by the cookie and by x-thread-id; an agent joins the request session', async () => {
  handler = callbackJson(async (body) => remember.run(body));
  for (const carrier of ['cookie', 'header'] as const) {
    let token: string | undefined;
    let threadId: string | undefined;
    const sessions = new Set<string>();
    for (const [turn, message] of ['one', 'two', 'three'].entries()) {
      const headers: Record<string, string> =
        token === undefined
          ? {}
          : carrier === 'cookie'
            ? { cookie: `otel_sessions_thread=${token}` }
            : { 'x-thread-id': token };
      const response = await post('/chat', { message }, headers);
      const answer = (await response.json()) as { sessionId: string; threadId: string; messages: string[] };
      assert.equal(response.headers.get('x-session-id'), answer.sessionId, 'the agent ran in the request session');
      sessions.add(answer.sessionId);
      threadId ??= answer.threadId;
      assert.equal(answer.threadId, threadId, `${carrier}: turn ${turn + 1} in the same thread`);
      assert.deepEqual(answer.messages, ['one', 'two', 'three'].slice(0, turn + 1), `${carrier}: state accumulates`);
      token = response.headers.get('x-thread-id') ?? token;
    }
    assert.equal(sessions.size, 3, 'each turn is a session of its own');
  }
});

test('a forged or unsigned thread token starts a new thread', async () => {
  handler = callbackJson(async (body) => remember.run(body));
  const forged = `thrd_${'A'.repeat(24)}`;
  const carriers: Array<Record<string, string>> = [
    { cookie: `otel_sessions_thread=${forged}` },
    { 'x-thread-id': `${forged}.0.${'A'.repeat(43)}` },
  ];
  for (const headers of carriers) {
    const answer = (await (await post('/chat', { message: 'x' }, headers)).json()) as {
      threadId: string;
      messages: string[];
    };
    assert.notEqual(answer.threadId, forged);
    assert.deepEqual(answer.messages, ['x']);
  }
});

test('the thread is saved before the response ends: a turn sent at once sees it', async () => {
  handler = (request, response) => {
    void (async () => {
      const session = getSession();
      assert.ok(session);
      const count = ((await session.thread.state.get('count')) as number | undefined) ?? 0;
      await session.thread.state.set('count', count + 1);
      response.end(String(count + 1));
    })();
  };
  let token = '';
  for (let turn = 1; turn <= 5; turn++) {
    const response = await fetch(`${base}/count`, { headers: turn === 1 ? {} : { 'x-thread-id': token } });
    assert.equal(await response.text(), String(turn));
    token = response.headers.get('x-thread-id') ?? token;
  }
});

test('ignored paths are no session; others are', async () => {
  handler = (_request, response) => response.end(String(getSessionId()));
  for (const path of ['/health', '/static/app.js', '/health?probe=1']) {
    const response = await fetch(`${base}${path}`);
    assert.equal(await response.text(), 'undefined', path);
    assert.equal(response.headers.get('x-session-id'), null, path);
  }
  const response = await fetch(`${base}/healthz`);
  assert.ok(isSessionId(await response.text()));
});

test('headers given to writeHead keep the session headers, and the app’s cookie sits beside the thread cookie', async () => {
  handler = (_request, response) => {
    response.writeHead(201, { 'Set-Cookie': 'app=1; Path=/', 'Cache-Control': 'max-age=60' });
    response.end('ok');
  };
  const response = await fetch(`${base}/own-headers`);
  assert.equal(response.status, 201);
  assert.ok(isSessionId(response.headers.get('x-session-id')));
  const cookies = response.headers.getSetCookie();
  assert.equal(cookies.length, 2, cookies.join(' | '));
  assert.ok(cookies.some((line) => line.startsWith('app=1')));
  assert.ok(cookies.some((line) => line.startsWith('otel_sessions_thread=thrd_')));
  assert.equal(response.headers.get('cache-control'), 'max-age=60', 'the app’s Cache-Control wins');
});

test('headers given to writeHead as an object take the session headers in a copy, leaving Node its fast path (no setHeader)', async () => {
  let setByEdge: string[] = ['(not answered)'];
  let given: Record<string, string> = {};
  handler = (_request, response) => {
    given = { 'content-type': 'text/plain' };
    response.writeHead(200, given);
    // Node writes headers given to writeHead directly, unless setHeader was used first.
    setByEdge = response.getHeaderNames();
    response.end('ok');
  };
  const response = await fetch(`${base}/fast-path`);
  assert.deepEqual(setByEdge, []);
  assert.deepEqual(given, { 'content-type': 'text/plain' }, 'the app’s object is left as it was');
  assert.ok(isSessionId(response.headers.get('x-session-id')));
  assert.match(response.headers.get('x-thread-id') ?? '', /^thrd_/);
  assert.equal(response.headers.get('cache-control'), 'private, no-store');
  assert.equal(response.headers.get('content-type'), 'text/plain');
});

test('a cookie set with setHeader before writeHead(status, headers) stays beside the thread cookie', async () => {
  handler = (_request, response) => {
    response.setHeader('Set-Cookie', ['early=1; Path=/']);
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok');
  };
  const cookies = (await fetch(`${base}/mixed-cookies`)).headers.getSetCookie();
  assert.equal(cookies.length, 2, cookies.join(' | '));
  assert.ok(cookies.some((line) => line.startsWith('early=1')));
  assert.ok(cookies.some((line) => line.startsWith('otel_sessions_thread=thrd_')));
});

test('a thread destroyed by the handler is replaced in the response', async () => {
  let token = '';
  handler = (_request, response) => {
    void (async () => {
      const session = getSession();
      assert.ok(session);
      await session.thread.state.set('kept', true);
      response.end(session.thread.id);
    })();
  };
  const first = await fetch(`${base}/a`);
  const firstThread = await first.text();
  token = first.headers.get('x-thread-id') ?? '';
  handler = (_request, response) => {
    void (async () => {
      await getSession()?.thread.destroy();
      response.end('gone');
    })();
  };
  const destroyed = await fetch(`${base}/b`, { headers: { 'x-thread-id': token } });
  assert.equal(await destroyed.text(), 'gone');
  const next = destroyed.headers.get('x-thread-id') ?? '';
  assert.ok(!next.startsWith(firstThread), 'a new thread is given');
  handler = (_request, response) => response.end(String(getThreadId()));
  const after = await fetch(`${base}/c`, { headers: { 'x-thread-id': next } });
  const afterThread = await after.text();
  assert.notEqual(afterThread, firstThread);
  assert.ok(next.startsWith(afterThread), 'the next turn is in the new thread');
});

test('Hono on @hono/node-server: sessions() exposes the session the edge made, and warns once about edge options it was given', async () => {
  const { Hono } = await import('hono');
  const { getRequestListener } = await import('@hono/node-server');
  const { sessions } = await import('../../../src/hono/sessions-middleware.js');
  const warned: string[] = [];
  const original = telemetry.runtime.logger.warn.bind(telemetry.runtime.logger);
  telemetry.runtime.logger.warn = ((message: string, ...rest: unknown[]) => {
    warned.push(message);
    return original(message, ...(rest as []));
  }) as typeof telemetry.runtime.logger.warn;
  const app = new Hono<{ Variables: { sessionId: string } }>();
  app.use(sessions({ secret: SECRET, trustInbound: () => true }));
  app.get('/hono', (c) => c.text(`${c.var.sessionId} ${getSessionId()}`));
  const listener = getRequestListener(app.fetch);
  handler = (request, response) => void listener(request, response);
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${base}/hono`);
    const [fromHono, fromContext] = (await response.text()).split(' ');
    assert.ok(isSessionId(fromHono));
    assert.equal(fromContext, fromHono);
    assert.equal(response.headers.get('x-session-id'), fromHono, 'the edge session, not a second one');
  }
  const aboutOptions = warned.filter((message) => message.startsWith('sessions({ trustInbound }) does not apply'));
  assert.equal(aboutOptions.length, 1, warned.join(' | '));
});

test('a client gone before the answer: its session closes, and the edge added no close listener to the response', async () => {
  // The edge hears of the close through the response's bound emit, not a listener: a `close`
  // listener on each response made V8 move whole requests into the old generation.
  const closeListeners = new Map<string, number>();
  let arrived: () => void = () => undefined;
  handler = (request, response) => {
    closeListeners.set(request.url ?? '', response.listenerCount('close'));
    if (request.url === '/health') response.end('ok');
    else arrived(); // never answered
  };
  await (await fetch(`${base}/health`)).text(); // outside sessions (ignored path)
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const client = new AbortController();
  const hanging = fetch(`${base}/hang`, { signal: client.signal }).catch(() => 'aborted');
  await reached;
  assert.equal(telemetry.runtime.running.size, 1, 'the session runs while the request waits');
  assert.equal(closeListeners.get('/hang'), closeListeners.get('/health'));
  client.abort();
  assert.equal(await hanging, 'aborted');
  await until(() => telemetry.runtime.running.size === 0, 2000, 10);
  assert.equal(telemetry.runtime.running.size, 0, 'the session closed when its client went');
});

// Last in this file: the edge takes no request after it.
test('at a shutdown, the request in flight is answered in its session, and one arriving after gets 503 and Connection: close', async () => {
  const { stopTakingRequests } = await import('../../../src/edge/node-http-edge.js');
  let handled = 0;
  let release: () => void = () => undefined;
  handler = (_request, response) => {
    handled++;
    new Promise<void>((resolve) => (release = resolve)).then(
      () => response.end(String(getSessionId())),
      () => undefined,
    );
  };
  const inFlight = fetch(`${base}/slow`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  stopTakingRequests();
  const late = await fetch(`${base}/late`);
  assert.equal(late.status, 503);
  assert.equal(late.headers.get('connection'), 'close');
  assert.equal(late.headers.get('x-session-id'), null, 'no session');
  release();
  const answered = await inFlight;
  assert.equal(answered.status, 200);
  assert.ok(isSessionId(await answered.text()));
  assert.equal(handled, 1, 'the late request never reached the handler');
});
