import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { Hono } from 'hono';
import { newSessionId, newThreadId, isSessionId, isThreadId } from '../../../src/session/ids.js';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { MAX_THREAD_TOKEN_LENGTH, ThreadTokenCodec } from '../../../src/edge/thread-token.js';
import { installTestTelemetry, TEST_SECRET } from '../../support/otel.js';
import { serveOnLoopback, type ServedApp } from '../../support/http.js';
import { looksSensitive } from '../../../src/session/metadata-attributes.js';
import { RateLimitedWarnings } from '../../../src/internal/rate-limited-warning.js';
import { createRuntime, setRuntime } from '../../../src/runtime/runtime.js';

const telemetry = installTestTelemetry();
const SECRET = 'boundary-secret-boundary-secret-0123456789';
const store = new MemoryThreadStore();

function app(options: Parameters<typeof sessions>[0] = {}): Hono<SessionsEnv> {
  const hono = new Hono<SessionsEnv>();
  hono.use(sessions({ threadStore: store, secret: SECRET, ...options }));
  hono.all('/', async (c) => {
    await c.var.thread.state.set('seen', true);
    return c.json({ sessionId: c.var.sessionId, threadId: c.var.thread.id });
  });
  hono.post('/metadata', async (c) => {
    Object.assign(c.var.session.metadata, await c.req.json());
    return c.json({ sessionId: c.var.sessionId });
  });
  return hono;
}
const plain = app();

test('property: a signed token verifies to its thread and issue time; any other string does not', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0, 750);
  const codec = new ThreadTokenCodec(SECRET, () => now);
  const other = new ThreadTokenCodec(SECRET.replace('0', '1'), () => now);
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.nat(), (noise, position) => {
      const threadId = newThreadId();
      const token = codec.sign(threadId);
      assert.ok(token.length <= MAX_THREAD_TOKEN_LENGTH);
      // Issued in whole seconds: 750 ms old at once.
      assert.deepEqual(codec.verify(token), { threadId, issuedAt: now - 750 });
      assert.equal(codec.ageOf({ threadId, issuedAt: now - 750 }), 750);
      assert.equal(codec.verify(other.sign(threadId)), undefined, 'signed with another secret');
      const at = position % token.length;
      const flipped = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      assert.equal(codec.verify(flipped), undefined, 'one character changed');
      assert.equal(codec.verify(noise), undefined);
      assert.equal(
        codec.verify(token + noise.slice(0, 1))?.threadId,
        noise.length === 0 ? threadId : undefined,
        'one more',
      );
    }),
    { numRuns: 10_000 },
  );
});

test('the issue time is signed: a token cannot be made younger, and the old form without one is refused', () => {
  const issuedAt = Date.UTC(2026, 0, 1);
  const codec = new ThreadTokenCodec(SECRET, () => issuedAt);
  const threadId = newThreadId();
  const token = codec.sign(threadId);
  const [, issued, signature] = token.split('.');
  const younger = `${threadId}.${(parseInt(issued ?? '', 36) + 3600).toString(36)}.${signature}`;
  assert.equal(codec.verify(younger), undefined);
  assert.equal(codec.verify(`${threadId}.${signature}`), undefined);
  const later = new ThreadTokenCodec(SECRET, () => issuedAt + 5000);
  const verified = later.verify(token);
  assert.equal(verified?.threadId, threadId);
  assert.equal(verified && later.ageOf(verified), 5000);
  assert.equal(verified && new ThreadTokenCodec(SECRET, () => issuedAt - 5000).ageOf(verified), 0, 'never negative');
});

test('property: any x-thread-id, cookie and baggage header values get a 200, a fresh session and a new thread', async () => {
  const headerText = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength: 300,
  });
  await fc.assert(
    fc.asyncProperty(headerText, headerText, headerText, async (threadHeader, cookie, baggage) => {
      const response = await plain.request('/', { headers: { 'x-thread-id': threadHeader, cookie, baggage } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { sessionId: string; threadId: string };
      assert.ok(isSessionId(body.sessionId) && isThreadId(body.threadId));
      assert.equal(response.headers.get('x-session-id'), body.sessionId);
    }),
    { numRuns: 10_000 },
  );
});

test('baggage beyond the W3C limits (8,192 bytes, 180 entries) and thousands of cookies: bounded, served', async () => {
  const huge = Array.from({ length: 5000 }, (_, i) => `k${i}=${'v'.repeat(40)}`).join(',');
  const cookies = Array.from({ length: 5000 }, (_, i) => `c${i}=${'x'.repeat(20)}`).join('; ');
  const response = await plain.request('/', {
    headers: { baggage: `session.id=${newSessionId()},${huge}`, cookie: cookies },
  });
  assert.equal(response.status, 200);
});

test('non-UTF-8 bytes in headers reach a real server and get a 200 with a new thread', async (t) => {
  const served: ServedApp = await serveOnLoopback(plain);
  t.after(() => served.close());
  const { port } = new URL(served.url);
  const raw = Buffer.concat([
    Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nx-thread-id: thrd_`),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
    Buffer.from('\r\nCookie: otel_sessions_thread='),
    Buffer.from([0xe2, 0x82]),
    Buffer.from('\r\nbaggage: session.id='),
    Buffer.from([0xf0, 0x28, 0x8c, 0xbc]),
    Buffer.from('\r\n\r\n'),
  ]);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(raw));
    let text = '';
    socket
      .on('data', (chunk) => (text += chunk.toString('latin1')))
      .on('end', () => resolve(text))
      .on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 200/);
  assert.match(reply, /x-session-id: sess_/i);
});

test("on @hono/node-server every kind of response carries the session ID once, and a new thread its cookie beside the app's", async (t) => {
  const hono = new Hono<SessionsEnv>();
  hono.use(sessions({ threadStore: store, secret: SECRET }));
  hono.get('/json', (c) => c.json({ sessionId: c.var.sessionId }));
  hono.get('/own-response', (c) => new Response(JSON.stringify({ sessionId: c.var.sessionId })));
  hono.get('/own-cookie', (c) => {
    c.header('set-cookie', 'app=1; Path=/', { append: true });
    return c.json({ sessionId: c.var.sessionId });
  });
  hono.get('/stream', (c) =>
    c.body(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify({ sessionId: c.var.sessionId })));
          controller.close();
        },
      }),
    ),
  );
  hono.get('/fails', () => {
    throw new Error('boom');
  });
  const served = await serveOnLoopback(hono);
  t.after(() => served.close());
  for (const path of ['/json', '/own-response', '/own-cookie', '/stream', '/fails']) {
    const response = await fetch(served.url + path);
    const body = (await response.json()) as { sessionId: string };
    assert.ok(isSessionId(body.sessionId), path);
    assert.equal(response.headers.get('x-session-id'), body.sessionId, `${path}: one x-session-id, the session's`);
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.filter((line) => line.startsWith('otel_sessions_thread=')).length, 1, `${path}: ${cookies}`);
    assert.ok(isThreadId(response.headers.get('x-thread-id')?.split('.')[0]), `${path} gives its new thread's token`);
    if (path === '/own-cookie')
      assert.ok(cookies.includes('app=1; Path=/'), `the app's own cookie is kept: ${cookies}`);
  }
});

test('untrusted inbound baggage never sets the session; the attempt is recorded apart', async () => {
  telemetry.spans.reset();
  const victim = newSessionId();
  const response = await plain.request('/', {
    headers: { baggage: `session.id=${victim},session.thread_id=${newThreadId()}` },
  });
  const body = (await response.json()) as { sessionId: string };
  assert.notEqual(body.sessionId, victim);
  const spans = telemetry.spans.getFinishedSpans();
  assert.ok(spans.every((span) => span.attributes['session.id'] !== victim));
  assert.equal(
    spans.find((span) => span.attributes['session.id'] === body.sessionId)?.attributes['session.rejected_id'],
    victim,
  );
});

test('trustInbound lets an internal hop continue the caller session and thread', async () => {
  const caller = { sessionId: newSessionId(), threadId: newThreadId() };
  const trusting = app({ trustInbound: (request) => request.headers.get('x-internal') === 'yes' });
  const hop = await trusting.request('/', {
    headers: { 'x-internal': 'yes', baggage: `session.id=${caller.sessionId},session.thread_id=${caller.threadId}` },
  });
  assert.deepEqual(await hop.json(), caller);
  const outsider = await trusting.request('/', {
    headers: { baggage: `session.id=${caller.sessionId},session.thread_id=${caller.threadId}` },
  });
  assert.notEqual(((await outsider.json()) as { sessionId: string }).sessionId, caller.sessionId);
  const throwing = app({
    trustInbound: () => {
      throw new Error('bug in the predicate');
    },
  });
  assert.equal((await throwing.request('/')).status, 200, 'a throwing predicate trusts no one and fails nothing');
});

test('metadata that looks like a secret is refused with a warning naming the key; huge metadata stays bounded', async () => {
  telemetry.spans.reset();
  telemetry.logs.reset();
  const metadata: Record<string, unknown> = {
    plan: 'pro',
    token: 'Bearer abcdefghijklmnop',
    apiKey: 'sk_live_abcdefghijklmnopqrstuvwx',
    email: 'someone@example.com',
    nested: { no: 'objects' },
    long: 'y'.repeat(100_000),
  };
  for (let i = 0; i < 5000; i++) metadata[`k${i}`] = i;
  const response = await plain.request('/metadata', { method: 'POST', body: JSON.stringify(metadata) });
  const { sessionId } = (await response.json()) as { sessionId: string };
  const root = telemetry.spans.getFinishedSpans().find((span) => span.attributes['session.id'] === sessionId);
  const attributes = root?.attributes ?? {};
  assert.equal(attributes['session.metadata.plan'], 'pro');
  for (const key of ['token', 'apiKey', 'email', 'nested'])
    assert.equal(attributes[`session.metadata.${key}`], undefined, key);
  assert.equal(String(attributes['session.metadata.long']).length, 1024);
  assert.ok(Object.keys(attributes).filter((key) => key.startsWith('session.metadata.')).length <= 64);
  const warnings = telemetry.logs.getFinishedLogRecords().map((record) => String(record.body));
  for (const key of ['token', 'apiKey', 'email', 'nested'])
    assert.ok(
      warnings.some((w) => w.includes(`"${key}"`)),
      `a warning names ${key}`,
    );
  assert.ok(!warnings.some((w) => w.includes('abcdefghijklmnop')), 'warnings never repeat the value');
});

test('refuseSensitiveMetadata: a function names the reason to refuse; false records everything', async () => {
  const rootAttributes = async (options: Parameters<typeof sessions>[0], metadata: object) => {
    const response = await app(options).request('/metadata', { method: 'POST', body: JSON.stringify(metadata) });
    const { sessionId } = (await response.json()) as { sessionId: string };
    return telemetry.spans.getFinishedSpans().find((span) => span.attributes['session.id'] === sessionId)?.attributes;
  };
  telemetry.logs.reset();
  const byFunction = await rootAttributes(
    { refuseSensitiveMetadata: (key) => (key === 'plan' ? 'plans are confidential here' : undefined) },
    { plan: 'pro', contact: 'someone@example.com' },
  );
  assert.equal(byFunction?.['session.metadata.plan'], undefined);
  assert.equal(
    byFunction?.['session.metadata.contact'],
    'someone@example.com',
    'the function replaces the built-in check',
  );
  const warnings = telemetry.logs.getFinishedLogRecords().map((record) => String(record.body));
  assert.ok(
    warnings.some((w) => w.includes('"plan"') && w.includes('plans are confidential here')),
    'the reason is told',
  );
  const unchecked = await rootAttributes(
    { refuseSensitiveMetadata: false },
    { apiKey: 'sk_live_abcdefghijklmnopqrstuvwx' },
  );
  assert.equal(unchecked?.['session.metadata.apiKey'], 'sk_live_abcdefghijklmnopqrstuvwx');
});

test('looksSensitive: tokens, keys and e-mail addresses yes; ordinary values no', () => {
  for (const value of [
    'Bearer x.y.z',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc',
    'ghp_abcdefghijklmnopqrstuvwx',
    'AKIAABCDEFGHIJKLMNOP',
    'a.b@c.io',
  ])
    assert.ok(looksSensitive(value), value);
  for (const value of ['sales', 'pro', 'u_42', 'billing', '2026-11-24', 'thrd_abc'])
    assert.ok(!looksSensitive(value), value);
});

after(() => store.close());

test('the root span is named by the matched route, with its status; the cookie lives as long as a thread', async () => {
  const hono = new Hono<SessionsEnv>();
  hono.use(sessions({ threadStore: store, secret: SECRET }));
  hono.get('/items/:id', (c) => c.json({ id: c.req.param('id') }, 201));
  const response = await hono.request('/items/42');
  assert.equal(response.status, 201);
  const sessionId = response.headers.get('x-session-id');
  const root = telemetry.spans.getFinishedSpans().find((span) => span.attributes['session.id'] === sessionId);
  assert.ok(root, 'the root span was exported');
  assert.equal(root.name, 'GET /items/:id');
  assert.equal(root.attributes['http.route'], '/items/:id');
  assert.equal(root.attributes['http.response.status_code'], 201);
  assert.equal(root.attributes['url.path'], '/items/42');
  const maxAge = /Max-Age=(\d+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  assert.equal(Number(maxAge), store.ttlMs / 1000);
});

test('a threadStore given to sessions() that is not the runtime one is warned about once', async () => {
  const warnedAbout = (): number =>
    telemetry.logs
      .getFinishedLogRecords()
      .filter((record) => String(record.body).includes('is not the store registerSessions configured')).length;
  telemetry.logs.reset();
  const ownStore = app({ threadStore: new MemoryThreadStore() });
  await ownStore.request('/');
  await ownStore.request('/');
  assert.equal(warnedAbout(), 1);

  telemetry.logs.reset();
  const runtimeStore = app({ threadStore: telemetry.runtime.threadStore });
  await runtimeStore.request('/');
  assert.equal(warnedAbout(), 0, 'the runtime store itself is not warned about');
});

test('without registerSessions, a threadStore given to sessions() is not warned about (no span processor renews any store)', async (t) => {
  setRuntime(
    createRuntime({ threadStore: new MemoryThreadStore(), logger: telemetry.runtime.logger, secret: TEST_SECRET }),
  );
  t.after(() => setRuntime(telemetry.runtime));
  telemetry.logs.reset();
  const ownStore = new MemoryThreadStore();
  const response = await app({ threadStore: ownStore }).request('/');
  assert.equal(response.status, 200);
  const warnings = telemetry.logs.getFinishedLogRecords().filter((record) => record.severityText === 'warn');
  assert.deepEqual(
    warnings.map((record) => record.body),
    [],
  );
});

describe('a thread that is never written keeps its ID through its tokens', () => {
  const HOUR = 60 * 60 * 1000;
  const quiet = new MemoryThreadStore();
  const silent = new Hono<SessionsEnv>();
  silent.use(sessions({ threadStore: quiet, secret: SECRET }));
  silent.get('/', (c) => c.json({ threadId: c.var.thread.id }));
  silent.delete('/', async (c) => {
    await c.var.thread.destroy();
    return c.json({ threadId: c.var.thread.id });
  });
  const turn = async (token?: string, method = 'GET') => {
    const response = await silent.request('/', { method, headers: token ? { 'x-thread-id': token } : {} });
    const body = (await response.json()) as { threadId: string };
    return { threadId: body.threadId, token: response.headers.get('x-thread-id') ?? '', response };
  };

  test('turns that write nothing stay in one thread, and the store holds nothing for it', async () => {
    const first = await turn();
    const token = first.token;
    assert.ok(first.response.headers.get('set-cookie')?.startsWith(`otel_sessions_thread=${token};`));
    for (let i = 0; i < 5; i++) {
      const next = await turn(token);
      assert.equal(next.threadId, first.threadId);
      assert.equal(next.token, token, 'a young token sent in the header comes back as it is (no second HMAC)');
      assert.equal(next.response.headers.get('set-cookie'), null, 'the cookie is not set again');
      assert.equal(next.response.headers.get('cache-control'), 'private, no-store');
    }
    // A browser: the token in its cookie, which holds it already.
    const byCookie = await silent.request('/', { headers: { cookie: `otel_sessions_thread=${token}` } });
    assert.equal(((await byCookie.json()) as { threadId: string }).threadId, first.threadId);
    assert.ok(byCookie.headers.get('x-session-id')?.startsWith('sess_'));
    assert.equal(byCookie.headers.get('set-cookie'), null, 'the cookie holds this token already');
    assert.equal(byCookie.headers.get('x-thread-id'), null);
    assert.equal(byCookie.headers.get('cache-control'), null, 'no token in the response, nothing to keep private');
    assert.equal(quiet.size, 0);
  });

  test('a token older than a sixtieth of the TTL is signed again; one older than the TTL names no thread', async () => {
    const threadId = newThreadId();
    const twoMinutesOld = new ThreadTokenCodec(SECRET, () => Date.now() - 2 * 60_000).sign(threadId);
    const renewed = await turn(twoMinutesOld);
    assert.equal(renewed.threadId, threadId);
    assert.notEqual(renewed.token, twoMinutesOld);
    assert.ok(renewed.response.headers.get('set-cookie')?.startsWith(`otel_sessions_thread=${renewed.token};`));
    assert.equal(new ThreadTokenCodec(SECRET).verify(renewed.token)?.threadId, threadId);
    assert.ok(Date.now() - (new ThreadTokenCodec(SECRET).verify(renewed.token)?.issuedAt ?? 0) < 60_000);

    const stale = new ThreadTokenCodec(SECRET, () => Date.now() - HOUR - 1000).sign(threadId);
    const after = await turn(stale);
    assert.notEqual(after.threadId, threadId, 'past the TTL, only the store could have kept it');
  });

  test('a token older than the TTL still continues a thread the store holds', async () => {
    const threadId = newThreadId();
    await quiet.save(threadId, { cleared: false, set: { kept: true }, deleted: [] });
    const stale = new ThreadTokenCodec(SECRET, () => Date.now() - HOUR - 1000).sign(threadId);
    assert.equal((await turn(stale)).threadId, threadId);
    await quiet.destroy(threadId);
  });

  test('after thread.destroy() the response carries a new thread, and the next turn is in it', async () => {
    const first = await turn();
    const destroying = await turn(first.token, 'DELETE');
    assert.equal(destroying.threadId, first.threadId, 'the destroying session itself ran in the old thread');
    const replacement = new ThreadTokenCodec(SECRET).verify(destroying.token)?.threadId;
    assert.ok(replacement !== undefined && replacement !== first.threadId);
    const cookies = destroying.response.headers
      .getSetCookie()
      .filter((line) => line.startsWith('otel_sessions_thread='));
    assert.equal(cookies.length, 1, 'one thread cookie, the new one');
    assert.ok(cookies[0]?.startsWith(`otel_sessions_thread=${destroying.token};`), cookies[0]);
    const next = await turn(destroying.token);
    assert.equal(next.threadId, replacement);
    const replayed = await turn(first.token);
    assert.notEqual(replayed.threadId, first.threadId, 'the old token, sent again, does not bring it back');
    assert.notEqual(replayed.threadId, replacement);
  });
});

test('the thread cookie is Secure over https, and behind a trusted proxy that says https; not otherwise', async () => {
  const cookieOf = async (hono: Hono<SessionsEnv>, url: string, headers: Record<string, string> = {}) =>
    (await hono.request(url, { headers })).headers.get('set-cookie') ?? '';
  const trusting = app({ trustProxy: true });
  assert.match(await cookieOf(plain, 'https://example.test/'), /; Secure/);
  assert.doesNotMatch(await cookieOf(plain, 'http://example.test/'), /Secure/);
  assert.doesNotMatch(
    await cookieOf(plain, 'http://example.test/', { 'x-forwarded-proto': 'https' }),
    /Secure/,
    'the proxy header is not believed by default',
  );
  assert.match(await cookieOf(trusting, 'http://example.test/', { 'x-forwarded-proto': 'https' }), /; Secure/);
  assert.match(await cookieOf(trusting, 'http://example.test/', { 'x-forwarded-proto': ' HTTPS , http' }), /; Secure/);
  assert.doesNotMatch(
    await cookieOf(trusting, 'http://example.test/', { 'x-forwarded-proto': 'http, https' }),
    /Secure/,
    'only the first value (the client side) counts',
  );
  assert.doesNotMatch(await cookieOf(trusting, 'http://example.test/'), /Secure/);
  assert.match(await cookieOf(trusting, 'https://example.test/', { 'x-forwarded-proto': 'http' }), /; Secure/);
});

test('responses carrying a thread token are private, no-store unless the app says otherwise', async () => {
  const hono = new Hono<SessionsEnv>();
  hono.use(sessions({ threadStore: store, secret: SECRET }));
  hono.get('/plain', (c) => c.json({ ok: true }));
  hono.get('/own-header', (c) => {
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ ok: true });
  });
  hono.get('/own-response', () => new Response('{}', { headers: { 'cache-control': 'max-age=5' } }));
  hono.get('/bare-response', () => new Response('{}'));
  hono.get('/fails', () => {
    throw new Error('boom');
  });
  const cacheControl = async (path: string) => {
    const response = await hono.request(path);
    assert.ok(response.headers.get('x-thread-id'), `${path} carries the token`);
    return response.headers.get('cache-control');
  };
  assert.equal(await cacheControl('/plain'), 'private, no-store');
  assert.equal(await cacheControl('/own-header'), 'public, max-age=60');
  assert.equal(await cacheControl('/own-response'), 'max-age=5');
  assert.equal(await cacheControl('/bare-response'), 'private, no-store');
  assert.equal(await cacheControl('/fails'), 'private, no-store');
});

test("the cookie's Max-Age follows the thread store's TTL: the runtime's, or the one given to sessions()", async (t) => {
  const runtimeStore = new MemoryThreadStore({ ttlMs: 90_500 });
  const ownStore = new MemoryThreadStore({ ttlMs: 30_000 });
  setRuntime(createRuntime({ threadStore: runtimeStore, logger: telemetry.runtime.logger, secret: TEST_SECRET }));
  t.after(async () => {
    setRuntime(telemetry.runtime);
    await Promise.all([runtimeStore.close(), ownStore.close()]);
  });
  const response = await app({ threadStore: undefined }).request('/');
  assert.match(response.headers.get('set-cookie') ?? '', /Max-Age=91;/);
  const own = await app({ threadStore: ownStore }).request('/');
  assert.match(own.headers.get('set-cookie') ?? '', /Max-Age=30;/);
});

test('10,000 bad requests write a handful of warning records, and the next one tells how many were suppressed', async (t) => {
  let now = 1_000_000;
  setRuntime(
    createRuntime({
      threadStore: store,
      logger: telemetry.runtime.logger,
      secret: TEST_SECRET,
      warnings: new RateLimitedWarnings(60_000, () => now),
    }),
  );
  t.after(() => setRuntime(telemetry.runtime));
  telemetry.logs.reset();
  const token = new ThreadTokenCodec(SECRET).sign(newThreadId());
  const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  for (let i = 0; i < 10_000; i++) {
    const response = await plain.request('/metadata', {
      method: 'POST',
      headers: { 'x-thread-id': i % 2 === 0 ? forged : `garbage-${i}`, baggage: `session.id=${newSessionId()}` },
      body: JSON.stringify({ password: `Bearer ${'x'.repeat(20)}${i}` }),
    });
    assert.equal(response.status, 200);
  }
  const records = () => telemetry.logs.getFinishedLogRecords().filter((record) => record.severityText === 'warn');
  assert.equal(records().length, 3, 'one each: forged token, rejected baggage claim, refused metadata');

  now += 60_000;
  await plain.request('/', { headers: { 'x-thread-id': forged } });
  const last = records().at(-1);
  assert.match(String(last?.body), /malformed or badly signed/);
  assert.equal(last?.attributes['suppressed'], 9_999);
});

test('a trustInbound that throws trusts no one, reported to diag at most once a minute with the count', async (t) => {
  let now = 1_000_000;
  setRuntime(
    createRuntime({
      threadStore: store,
      logger: telemetry.runtime.logger,
      secret: TEST_SECRET,
      warnings: new RateLimitedWarnings(60_000, () => now),
    }),
  );
  const reported: string[] = [];
  const record = (message: string): void => void reported.push(message);
  diag.setLogger(
    { error: record, warn: record, info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  t.after(() => {
    diag.disable();
    setRuntime(telemetry.runtime);
  });
  const caller = { sessionId: newSessionId(), threadId: newThreadId() };
  const throwing = app({
    trustInbound: () => {
      throw new Error('bug in the predicate');
    },
  });
  for (let i = 0; i < 100; i++) {
    const response = await throwing.request('/', {
      headers: { baggage: `session.id=${caller.sessionId},session.thread_id=${caller.threadId}` },
    });
    assert.equal(response.status, 200);
    assert.notEqual(((await response.json()) as { sessionId: string }).sessionId, caller.sessionId);
  }
  assert.deepEqual(reported, ['otel-sessions: trustInbound threw; the request was treated as untrusted']);
  now += 60_000;
  await throwing.request('/');
  assert.equal(
    reported.at(-1),
    'otel-sessions: trustInbound threw; the request was treated as untrusted (and 99 more since the last report)',
  );
});
