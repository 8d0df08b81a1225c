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

test('the conversation alias is written when asked for', () => {
  const attributes: Record<string, unknown> = {};
  const span = {
    setAttribute: (k: string, v: unknown) => (attributes[k] = v),
  };
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  withSession(ids, () =>
    new SessionSpanProcessor({ conversationIdAlias: true }).onStart(span as never, context.active()),
  );
  assert.equal(attributes['gen_ai.conversation.id'], ids.threadId);
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
