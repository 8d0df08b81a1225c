// The trustInbound rules as the README states them: a trusted request continues its caller
// only when its baggage carries both IDs, each well formed; otherwise it is an outside one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { MemoryThreadStore, newSessionId, newThreadId, type SessionsEnv } from '../../../src/index.js';
import { sessions } from '../../../src/hono.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const SECRET = 'trust-rules-secret-trust-rules-secret-0123';
const store = new MemoryThreadStore();

const app = new Hono<SessionsEnv>();
app.use(sessions({ threadStore: store, secret: SECRET, trustInbound: () => true }));
app.all('/', async (c) => {
  // A thread is kept only once it holds something.
  await c.var.thread.state.set('seen', true);
  return c.json({ sessionId: c.var.sessionId, threadId: c.var.thread.id });
});

async function call(headers: Record<string, string>): Promise<{ sessionId: string; threadId: string; token: string }> {
  const response = await app.request('/', { headers });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { sessionId: string; threadId: string };
  return { ...body, token: response.headers.get('x-thread-id') ?? '' };
}

/** The `session.rejected_id` and `session.rejected_thread_id` on the root span of that session. */
function rejected(sessionId: string): [unknown, unknown] {
  const attributes = telemetry.spans
    .getFinishedSpans()
    .find((span) => span.attributes['session.id'] === sessionId)?.attributes;
  return [attributes?.['session.rejected_id'], attributes?.['session.rejected_thread_id']];
}

test('trusted, both IDs well formed: the caller session and thread go on, even a thread this store has not seen', async () => {
  const caller = { sessionId: newSessionId(), threadId: newThreadId() };
  const own = await call({});
  const hop = await call({
    baggage: `session.id=${caller.sessionId},session.thread_id=${caller.threadId}`,
    // The signed thread of another conversation is not consulted.
    'x-thread-id': own.token,
  });
  assert.equal(hop.sessionId, caller.sessionId);
  assert.equal(hop.threadId, caller.threadId);
});

test('trusted, but one ID missing or malformed: an outside request, the claim recorded', async () => {
  const sessionId = newSessionId();
  const threadId = newThreadId();
  const cases: [string, [unknown, unknown]][] = [
    [`session.id=${sessionId}`, [sessionId, undefined]],
    [`session.thread_id=${threadId}`, [undefined, threadId]],
    [`session.id=${sessionId},session.thread_id=thrd_short`, [sessionId, 'malformed']],
    [`session.id=sess_short,session.thread_id=${threadId}`, ['malformed', threadId]],
  ];
  for (const [baggage, recorded] of cases) {
    telemetry.spans.reset();
    const answer = await call({ baggage });
    assert.notEqual(answer.sessionId, sessionId, baggage);
    assert.notEqual(answer.threadId, threadId, baggage);
    assert.deepEqual(rejected(answer.sessionId), recorded, baggage);
  }
});

test('not continued: the thread still comes from a valid signed header', async () => {
  const first = await call({});
  const next = await call({ 'x-thread-id': first.token, baggage: `session.id=${newSessionId()}` });
  assert.equal(next.threadId, first.threadId);
  assert.notEqual(next.sessionId, first.sessionId);
});
