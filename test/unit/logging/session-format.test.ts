import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { createLogger } from '../../../src/logging/create-logger.js';
import { sessionFormat } from '../../../src/logging/session-format.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const tracer = trace.getTracer('test');

class Capture extends TransportStream {
  readonly records: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, done: () => void): void {
    this.records.push({ ...info });
    done();
  }
}

test('records inside a session and span carry session.id, session.thread_id, trace_id, span_id; outside, none', async () => {
  const capture = new Capture();
  const logger = createLogger({ console: false, transports: [capture] });
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  let traceId = '';
  await withSession(ids, () =>
    tracer.startActiveSpan('op', async (span) => {
      traceId = span.spanContext().traceId;
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.child({ userId: 'u1' }).info('inside');
      span.end();
    }),
  );
  logger.info('outside');
  const [inside, outside] = capture.records;
  assert.equal(inside?.['session.id'], ids.sessionId);
  assert.equal(inside?.['session.thread_id'], ids.threadId);
  assert.equal(inside?.trace_id, traceId);
  assert.equal(typeof inside?.span_id, 'string');
  assert.equal(inside?.userId, 'u1');
  for (const key of ['session.id', 'session.thread_id', 'trace_id', 'span_id'])
    assert.equal(outside?.[key], undefined, key);
});

test('a plain winston logger with sessionFormat() gets the same fields', () => {
  const capture = new Capture();
  const logger = winston.createLogger({
    format: winston.format.combine(sessionFormat(), winston.format.json()),
    transports: [capture],
  });
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  withSession(ids, () => logger.warn('plain'));
  assert.equal(capture.records[0]?.['session.id'], ids.sessionId);
});

test('records go out as OTel log records with the IDs, and as events on their span', async () => {
  telemetry.logs.reset();
  telemetry.spans.reset();
  const logger = createLogger({ console: false });
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  withSession(ids, () =>
    tracer.startActiveSpan('handler', (span) => {
      logger.error('it broke', { orderId: 42 });
      span.end();
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  const [record] = telemetry.logs.getFinishedLogRecords();
  assert.equal(record?.body, 'it broke');
  assert.equal(record?.severityText, 'error');
  assert.equal(record?.attributes['session.id'], ids.sessionId);
  assert.equal(record?.attributes['session.thread_id'], ids.threadId);
  assert.equal(record?.attributes.orderId, 42);
  const [span] = telemetry.spans.getFinishedSpans();
  const event = span?.events.find((each) => each.name === 'log');
  assert.equal(event?.attributes?.['log.message'], 'it broke');
  assert.equal(event?.attributes?.orderId, 42);
  // The span carries the session's IDs: its events do not repeat them.
  assert.equal(span?.attributes['session.id'], ids.sessionId);
  assert.equal(event?.attributes?.['session.id'], undefined);
  assert.equal(event?.attributes?.['session.thread_id'], undefined);
});

test("an event on a span started outside the session carries the session's IDs itself", async () => {
  telemetry.spans.reset();
  const logger = createLogger({ console: false });
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  tracer.startActiveSpan('outer', (span) => {
    withSession(ids, () => logger.info('inside'));
    span.end();
  });
  await new Promise((resolve) => setImmediate(resolve));
  const [span] = telemetry.spans.getFinishedSpans();
  assert.equal(span?.attributes['session.id'], undefined);
  const event = span?.events.find((each) => each.name === 'log');
  assert.equal(event?.attributes?.['session.id'], ids.sessionId);
  assert.equal(event?.attributes?.['session.thread_id'], ids.threadId);
});
