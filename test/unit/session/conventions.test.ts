// Every attribute each convention writes, on the root span, the agent span and the log
// records of one request: what Jaeger (otel), Phoenix (openinference) and Langfuse read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, logs, propagation, SpanKind, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type Span } from '@opentelemetry/sdk-trace';
import { Hono } from 'hono';
import { createAgent } from '../../../src/agent/create-agent.js';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import { RateLimitedWarnings } from '../../../src/internal/rate-limited-warning.js';
import { createLogger } from '../../../src/logging/create-logger.js';
import { SessionLogRecordProcessor } from '../../../src/processors/session-log-record-processor.js';
import { SessionSpanProcessor } from '../../../src/processors/session-span-processor.js';
import { createRuntime, setRuntime } from '../../../src/runtime/runtime.js';
import type { Convention } from '../../../src/session/conventions.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';

const SECRET = 'conventions-secret-conventions-secret-01';
let spanProcessor = new SessionSpanProcessor();
let logProcessor = new SessionLogRecordProcessor();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(
  new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
);
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({
  spanProcessors: [
    // The processors of the convention under test, swapped between tests.
    {
      onStart: (span: Span, parent: Context) => spanProcessor.onStart(span, parent),
      onEnd: () => undefined,
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    },
    new SimpleSpanProcessor({ exporter: spans }),
  ],
});
trace.setGlobalTracerProvider(tracerProvider);
const records = new InMemoryLogRecordExporter();
logs.setGlobalLoggerProvider(
  new LoggerProvider({
    processors: [
      {
        onEmit: (record: ReadWriteLogRecord, ctx?: Context) => logProcessor.onEmit(record, ctx),
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      },
      new SimpleLogRecordProcessor({ exporter: records }),
    ],
  }),
);

const chat = createAgent('Chat', {
  handler: async (ctx, input: { message: string }) => {
    await ctx.thread.setMetadata({ ...(await ctx.thread.getMetadata()), userId: 'u_1842', plan: 'pro' });
    ctx.session.metadata.requestType = 'chat';
    ctx.logger.info('hello');
    return { reply: `You said: ${input.message}` };
  },
});

/** One request to a Hono app under `convention`: the root span, the agent span and the agent's log record. */
async function oneRequest(convention: Convention, captureContent: boolean) {
  spanProcessor = new SessionSpanProcessor({ convention });
  logProcessor = new SessionLogRecordProcessor({ convention });
  setRuntime(
    createRuntime({
      threadStore: new MemoryThreadStore(),
      logger: createLogger({ console: false }),
      secret: SECRET,
      warnings: new RateLimitedWarnings(0),
      convention,
      captureContent,
    }),
  );
  spans.reset();
  records.reset();
  const app = new Hono<SessionsEnv>();
  app.use(sessions({ secret: SECRET }));
  app.post('/chat', async (c) => c.json({ ...(await chat.run(await c.req.json())), sessionId: c.var.sessionId }));
  const response = await app.request('/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hi' }),
  });
  const { sessionId } = (await response.json()) as { sessionId: string };
  const threadId = (response.headers.get('x-thread-id') ?? '').split('.')[0] ?? '';
  const finished = spans.getFinishedSpans();
  const root = finished.find((span) => span.kind === SpanKind.SERVER);
  const agent = finished.find((span) => span.name === 'agent.run Chat');
  const record = records.getFinishedLogRecords().find((log) => log.body === 'hello');
  assert.ok(root && agent && record);
  return { sessionId, threadId, root: root.attributes, agent: agent.attributes, log: record.attributes };
}

/** Asserts each of `expected`'s keys on each attribute set (`undefined`: absent). */
function assertOnEach(sets: ReadonlyArray<Record<string, unknown>>, expected: Record<string, unknown>): void {
  for (const attributes of sets)
    for (const [key, value] of Object.entries(expected)) assert.equal(attributes[key], value, key);
}

const CONTENT_KEYS = [
  'input.value',
  'output.value',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'langfuse.trace.input',
  'langfuse.trace.output',
];

test('otel: session.id is the request; the thread is session.thread_id and gen_ai.conversation.id; user.id', async () => {
  const { sessionId, threadId, root, agent, log } = await oneRequest('otel', true);
  assertOnEach([root, agent, log], {
    'session.id': sessionId,
    'session.thread_id': threadId,
    'gen_ai.conversation.id': threadId,
    'user.id': 'u_1842',
    'openinference.span.kind': undefined,
    'langfuse.session.id': undefined,
  });
  assert.equal(root['session.metadata.requestType'], 'chat');
  assert.equal(root['session.thread_metadata.plan'], 'pro');
  assert.equal(root.metadata, undefined);
  const input = [{ role: 'user', parts: [{ type: 'text', content: '{"message":"hi"}' }] }];
  const output = [{ role: 'assistant', parts: [{ type: 'text', content: '{"reply":"You said: hi"}' }] }];
  for (const attributes of [root, agent]) {
    assert.deepEqual(JSON.parse(String(attributes['gen_ai.input.messages'])), input);
    assert.deepEqual(JSON.parse(String(attributes['gen_ai.output.messages'])), output);
    assert.equal(attributes['input.value'], undefined);
  }
});

test('openinference: session.id is the thread, session.request_id the request; span kinds, metadata, input and output', async () => {
  const { sessionId, threadId, root, agent, log } = await oneRequest('openinference', true);
  assertOnEach([root, agent, log], {
    'session.id': threadId,
    'session.request_id': sessionId,
    'session.thread_id': threadId,
    'user.id': 'u_1842',
    'gen_ai.conversation.id': undefined,
  });
  assert.equal(root['openinference.span.kind'], 'CHAIN');
  assert.equal(agent['openinference.span.kind'], 'AGENT');
  assert.deepEqual(JSON.parse(String(root.metadata)), { userId: 'u_1842', plan: 'pro', requestType: 'chat' });
  assertOnEach([root, agent], {
    'input.value': '{"message":"hi"}',
    'input.mime_type': 'application/json',
    'output.value': '{"reply":"You said: hi"}',
    'output.mime_type': 'application/json',
  });
});

test('langfuse: langfuse.session.id is the thread, session.id the request; langfuse user, metadata, trace input and output', async () => {
  const { sessionId, threadId, root, agent, log } = await oneRequest('langfuse', true);
  assertOnEach([root, agent, log], {
    'langfuse.session.id': threadId,
    'session.id': sessionId,
    'langfuse.user.id': 'u_1842',
    'user.id': 'u_1842',
  });
  assert.equal(root['langfuse.trace.metadata.requestType'], 'chat');
  assert.equal(root['langfuse.trace.metadata.plan'], 'pro');
  assert.equal(root['langfuse.trace.input'], '{"message":"hi"}');
  assert.equal(root['langfuse.trace.output'], '{"reply":"You said: hi"}');
  assert.equal(agent['input.value'], '{"message":"hi"}');
  assert.equal(agent['langfuse.trace.input'], undefined, 'trace input on the root only');
});

test('without content capture, no input or output is recorded in any convention', async () => {
  for (const convention of ['otel', 'openinference', 'langfuse'] as const) {
    const { root, agent } = await oneRequest(convention, false);
    for (const key of CONTENT_KEYS) {
      assert.equal(root[key], undefined, `${convention}: ${key} on the root span`);
      assert.equal(agent[key], undefined, `${convention}: ${key} on the agent span`);
    }
  }
});

test('the user: setUserId wins over thread metadata; an e-mail address is never recorded as user.id', async () => {
  const named = createAgent('Named', {
    handler: async (ctx, input: { userId: string; explicit?: string }) => {
      await ctx.thread.setMetadata({ userId: input.userId });
      if (input.explicit !== undefined) ctx.session.setUserId(input.explicit);
      assert.throws(() => ctx.session.setUserId('bob@example.com'), /looks like personal data/);
      assert.throws(() => ctx.session.setUserId(''), TypeError);
      return { userId: ctx.session.userId ?? null };
    },
  });
  setRuntime(
    createRuntime({
      threadStore: new MemoryThreadStore(),
      logger: createLogger({ console: false }),
      secret: SECRET,
      warnings: new RateLimitedWarnings(0),
    }),
  );
  spanProcessor = new SessionSpanProcessor();
  assert.deepEqual(await named.run({ userId: 'u_1', explicit: 'u_2' }), { userId: 'u_2' });
  assert.deepEqual(await named.run({ userId: 'alice@example.com' }), { userId: null });
  spans.reset();
  await named.run({ userId: 'carol@example.com' });
  for (const span of spans.getFinishedSpans()) assert.equal(span.attributes['user.id'], undefined, span.name);
});
