import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { SessionSpanProcessor } from '../../../src/processors/session-span-processor.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const tracer = trace.getTracer('test');

test('every span started inside a session carries both IDs, nested and after await', async () => {
  telemetry.spans.reset();
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  await withSession(ids, () =>
    tracer.startActiveSpan('outer', async (outer) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      tracer.startSpan('inner').end();
      outer.end();
    }),
  );
  tracer.startSpan('outside').end();
  const byName = new Map(telemetry.spans.getFinishedSpans().map((span) => [span.name, span.attributes]));
  for (const name of ['outer', 'inner']) {
    assert.equal(byName.get(name)?.['session.id'], ids.sessionId, name);
    assert.equal(byName.get(name)?.['session.thread_id'], ids.threadId, name);
  }
  assert.equal(byName.get('outside')?.['session.id'], undefined);
});

test('baggage that merely arrived from another process does not make a session', () => {
  telemetry.spans.reset();
  const forged = propagation.extract(context.active(), {
    baggage: `session.id=${newSessionId()},session.thread_id=${newThreadId()}`,
  });
  context.with(forged, () => tracer.startSpan('from-the-wire').end());
  const [span] = telemetry.spans.getFinishedSpans();
  assert.equal(span?.attributes['session.id'], undefined);
  assert.equal(span?.attributes['session.thread_id'], undefined);
});

test('each convention names the IDs its tool reads, on every span', () => {
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  const expected = {
    otel: { 'session.id': ids.sessionId, 'session.thread_id': ids.threadId, 'gen_ai.conversation.id': ids.threadId },
    openinference: {
      'session.id': ids.threadId,
      'session.request_id': ids.sessionId,
      'session.thread_id': ids.threadId,
    },
    langfuse: { 'session.id': ids.sessionId, 'session.thread_id': ids.threadId, 'langfuse.session.id': ids.threadId },
  } as const;
  for (const [convention, attributes] of Object.entries(expected)) {
    const got: Record<string, unknown> = {};
    const span = { setAttribute: (k: string, v: unknown) => (got[k] = v), setAttributes: () => undefined };
    withSession(ids, () =>
      new SessionSpanProcessor({ convention: convention as keyof typeof expected }).onStart(
        span as never,
        context.active(),
      ),
    );
    assert.deepEqual(got, attributes, convention);
  }
});

test('a span that throws on setAttribute does not throw into the caller', () => {
  const span = {
    setAttribute: () => {
      throw new Error('ended');
    },
  };
  withSession({ sessionId: newSessionId(), threadId: newThreadId() }, () => {
    assert.doesNotThrow(() => new SessionSpanProcessor().onStart(span as never, context.active()));
  });
});
