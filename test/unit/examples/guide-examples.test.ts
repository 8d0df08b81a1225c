import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { createAgent, MemoryThreadStore } from 'otel-sessions';
import { createApp } from '../../../examples/app.js';
import { externalApi } from '../../../examples/support.js';
import sessionExample from '../../../examples/session-example.js';
import { serveOnLoopback, ThreadClient, type ServedApp } from '../../support/http.js';
import { installTestTelemetry } from '../../support/otel.js';

const HOUR = 60 * 60 * 1000;
let now = Date.UTC(2026, 10, 24);
const store = new MemoryThreadStore({ clock: () => now, ttlMs: HOUR });
const telemetry = installTestTelemetry({ store, clock: () => now });
let served: ServedApp;

before(async () => {
  served = await serveOnLoopback(createApp({ threadStore: store, secret: 'test-secret-test-secret-test-secret-1234' }));
});
after(() => served.close());

const rootSpanOf = (sessionId: string | null) =>
  telemetry.spans
    .getFinishedSpans()
    .find((span) => span.attributes['session.id'] === sessionId && span.parentSpanContext === undefined);

test('the route example: thread state carries across 3 turns and stays apart between two threads', async () => {
  const alice = new ThreadClient(served.url);
  const bob = new ThreadClient(served.url);
  const turns: number[] = [];
  const sessions = new Set<string | null>();
  for (let turn = 1; turn <= 3; turn++) {
    const reply = await alice.post('/chat', { message: `alice ${turn}`, turn });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.sessionId, reply.sessionId);
    sessions.add(reply.sessionId);
    turns.push(reply.json.turns as number);
  }
  const other = await bob.post('/chat', { message: 'bob 1' });
  assert.deepEqual(turns, [1, 2, 3]);
  assert.equal(other.json.turns, 1);
  assert.equal(sessions.size, 3, 'every turn is a new session');
  assert.notEqual(alice.threadId, bob.threadId);
});

test('agent.run inside a route joins the route session and is an agent.run span', async () => {
  const reply = await new ThreadClient(served.url).post('/chat', { message: 'hi' });
  const agentSpan = telemetry.spans
    .getFinishedSpans()
    .find((span) => span.name === 'agent.run MyAgent' && span.attributes['session.id'] === reply.sessionId);
  assert.equal(agentSpan?.attributes['agent.name'], 'MyAgent');
  assert.equal(agentSpan?.attributes['session.thread_id'], reply.threadId);
});

test('the validator answers 400 with sessionId for invalid and for non-JSON bodies', async () => {
  const client = new ThreadClient(served.url);
  const invalid = await client.post('/chat', { message: '' });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.success, false);
  assert.equal(invalid.json.sessionId, invalid.sessionId);
  assert.ok(Array.isArray(invalid.json.issues) && invalid.json.issues.length > 0);
  const garbage = await client.post('/chat', '{not json');
  assert.equal(garbage.status, 400);
  assert.equal(garbage.json.sessionId, garbage.sessionId);
});

test('a thrown error: span has the exception and ERROR status, an error log has the session, the client gets no internals', async () => {
  telemetry.logs.reset();
  const response = await fetch(served.url + '/boom');
  const text = await response.text();
  const sessionId = response.headers.get('x-session-id');
  assert.equal(response.status, 500);
  assert.deepEqual(JSON.parse(text), { success: false, error: 'Internal error', sessionId });
  assert.ok(!text.includes('hunter2'));
  const root = rootSpanOf(sessionId);
  assert.equal(root?.status.code, SpanStatusCode.ERROR);
  assert.ok(root?.events.some((event) => event.name === 'exception'));
  const log = telemetry.logs.getFinishedLogRecords().find((record) => record.severityText === 'error');
  assert.equal(log?.attributes['session.id'], sessionId);
});

test('metadata: session metadata on the root span; thread metadata on each later session of the thread', async () => {
  const client = new ThreadClient(served.url);
  const first = await client.post('/agents/user-context', { requestType: 'billing', userId: 'u_42', plan: 'pro' });
  assert.equal(rootSpanOf(first.sessionId)?.attributes['session.metadata.requestType'], 'billing');
  const second = await client.post('/agents/session-example', {});
  const later = rootSpanOf(second.sessionId);
  assert.equal(later?.attributes['session.thread_metadata.userId'], 'u_42');
  assert.equal(later?.attributes['session.thread_metadata.department'], 'sales');
  assert.equal(later?.attributes['session.metadata.requestType'], undefined);
});

test('the UserContext example with an input lacking plan: 200, and the thread metadata simply has no plan', async () => {
  const client = new ThreadClient(served.url);
  const first = await client.post('/agents/user-context', { requestType: 'billing', userId: 'u_7' });
  assert.equal(first.status, 200);
  assert.deepEqual(first.json, { success: true });
  const later = rootSpanOf((await client.post('/agents/session-example', {})).sessionId);
  assert.equal(later?.attributes['session.thread_metadata.userId'], 'u_7');
  assert.equal(later?.attributes['session.thread_metadata.plan'], undefined);
});

test('the guide agents: sessionId in results, error responses, external payloads and log fields', async () => {
  const client = new ThreadClient(served.url);
  const example = await client.post('/agents/session-example', {});
  assert.equal(example.json.sessionId, example.sessionId);
  const failed = await client.post('/agents/error-handler', { fail: true });
  assert.deepEqual(failed.json, { success: false, error: 'Processing failed', sessionId: failed.sessionId });
  const ok = await client.post('/agents/error-handler', { value: 7 });
  assert.deepEqual(ok.json, { success: true, data: { processed: 7 } });
  const webhook = await client.post('/agents/webhook', { event: 'invoice.paid' });
  assert.deepEqual(externalApi.received.at(-1), {
    event: 'invoice.paid',
    metadata: { agentuitySessionId: webhook.sessionId },
  });
  telemetry.logs.reset();
  const timed = await client.post('/agents/timing', { value: 1 });
  const completed = telemetry.logs.getFinishedLogRecords().find((record) => record.body === 'Request completed');
  assert.equal(typeof completed?.attributes.durationMs, 'number');
  assert.equal(completed?.attributes['session.id'], timed.sessionId);
});

test('a thread expires one hour after its last activity; then a new thread starts with empty state', async () => {
  const client = new ThreadClient(served.url);
  await client.post('/chat', { message: 'one' });
  const firstThread = client.threadId;
  now += HOUR - 1000;
  assert.equal((await client.post('/chat', { message: 'two' })).json.turns, 2);
  assert.equal(client.threadId, firstThread);
  now += HOUR + 1;
  const afterExpiry = await client.post('/chat', { message: 'three' });
  assert.notEqual(client.threadId, firstThread);
  assert.equal(afterExpiry.json.turns, 1);
});

test('forged, tampered or malformed thread tokens start a new thread and never fail the request', async () => {
  const client = new ThreadClient(served.url);
  await client.post('/chat', { message: 'mine' });
  const genuine = client.threadId as string;
  const forgeries = [
    `${genuine}.${'A'.repeat(43)}`,
    genuine,
    `${genuine}.`,
    'x'.repeat(10_000),
    'thrd_%00%ff',
    `thrd_${'a'.repeat(24)}.${'b'.repeat(43)}`,
  ];
  for (const token of forgeries) {
    const response = await fetch(served.url + '/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-thread-id': token },
      body: JSON.stringify({ message: 'x' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200);
    assert.equal(body.turns, 1, 'a forged token must not reach the genuine thread');
    assert.notEqual(response.headers.get('x-thread-id')?.split('.')[0], genuine);
  }
});

test('session state is empty at the start of every session and cleared after it', async () => {
  const seen: number[] = [];
  const probe = createAgent('StateProbe', {
    handler: async (ctx) => {
      seen.push(ctx.session.state.size);
      ctx.session.state.set('scratch', 1);
      return {};
    },
  });
  for (let i = 0; i < 3; i++) await probe.run({});
  assert.deepEqual(seen, [0, 0, 0]);
});

test('agent.run outside any request opens a session and thread of its own', async () => {
  const result = await sessionExample.run({});
  assert.match(result.sessionId, /^sess_/);
  const root = rootSpanOf(result.sessionId);
  assert.match(String(root?.attributes['session.thread_id']), /^thrd_/);
});

test('200 concurrent requests across 20 threads: no cross-talk of IDs, state or log fields', async () => {
  telemetry.logs.reset();
  const clients = Array.from({ length: 20 }, () => new ThreadClient(served.url));
  await Promise.all(clients.map((client) => client.post('/chat', { message: 'start' })));
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const client = clients[i % 20] as ThreadClient;
      return client.post('/chat', { message: `m${i}`, turn: i }).then((reply) => ({ reply, thread: client.threadId }));
    }),
  );
  const perThread = new Map<string | undefined, number[]>();
  for (const { reply, thread } of results) {
    assert.equal(reply.status, 200);
    assert.equal(reply.json.sessionId, reply.sessionId);
    perThread.set(thread, [...(perThread.get(thread) ?? []), reply.json.turns as number]);
  }
  assert.equal(perThread.size, 20);
  for (const turns of perThread.values())
    assert.deepEqual(
      [...turns].sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => i + 2),
    );
  const threadOfSession = new Map(results.map(({ reply, thread }) => [reply.sessionId, thread]));
  const logs = telemetry.logs.getFinishedLogRecords().filter((record) => record.body === 'Message received');
  assert.equal(logs.length, 220);
  for (const record of logs) {
    const sessionId = record.attributes['session.id'] as string;
    if (threadOfSession.has(sessionId))
      assert.equal(record.attributes['session.thread_id'], threadOfSession.get(sessionId));
  }
  const sessionIds = new Set(results.map(({ reply }) => reply.sessionId));
  assert.equal(sessionIds.size, 200);
});
