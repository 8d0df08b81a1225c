import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { createLogger } from '../../../src/logging/create-logger.js';
import { withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const tracer = trace.getTracer('test');

test('inside a span, the log record carries its trace and span natively, not as trace_id/span_id attributes', async () => {
  telemetry.logs.reset();
  telemetry.spans.reset();
  const logger = createLogger({ console: false });
  let ids = { traceId: '', spanId: '' };
  withSession({ sessionId: newSessionId(), threadId: newThreadId() }, () =>
    tracer.startActiveSpan('handler', (span) => {
      ids = span.spanContext();
      logger.info('inside', { orderId: 7 });
      span.end();
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  const [record] = telemetry.logs.getFinishedLogRecords();
  assert.equal(record?.spanContext?.traceId, ids.traceId);
  assert.equal(record?.spanContext?.spanId, ids.spanId);
  assert.equal(record?.attributes.orderId, 7);
  assert.equal('trace_id' in (record?.attributes ?? {}), false);
  assert.equal('span_id' in (record?.attributes ?? {}), false);
  const event = telemetry.spans.getFinishedSpans()[0]?.events.find((each) => each.name === 'log');
  assert.equal(event?.attributes?.orderId, 7);
  assert.equal(event?.attributes?.['log.message'], 'inside');
  assert.equal(event?.attributes?.['log.severity'], 'info');
  assert.equal('trace_id' in (event?.attributes ?? {}), false);
});

test("outside a span, a record's own trace_id and span_id fields are kept as attributes", async () => {
  telemetry.logs.reset();
  const logger = createLogger({ console: false });
  logger.info('relayed', { trace_id: 'from-upstream', span_id: 'theirs' });
  await new Promise((resolve) => setImmediate(resolve));
  const [record] = telemetry.logs.getFinishedLogRecords();
  assert.equal(record?.attributes.trace_id, 'from-upstream');
  assert.equal(record?.attributes.span_id, 'theirs');
});

test('a field named like the event attributes does not replace the severity or message on the event', async () => {
  telemetry.spans.reset();
  const logger = createLogger({ console: false });
  tracer.startActiveSpan('handler', (span) => {
    logger.warn('real message', { 'log.message': 'spoofed', 'log.severity': 'debug' });
    span.end();
  });
  await new Promise((resolve) => setImmediate(resolve));
  const event = telemetry.spans.getFinishedSpans()[0]?.events.find((each) => each.name === 'log');
  assert.equal(event?.attributes?.['log.message'], 'real message');
  assert.equal(event?.attributes?.['log.severity'], 'warn');
});

test('spanEvents: false sends the log record and adds no event to the span', async () => {
  telemetry.logs.reset();
  telemetry.spans.reset();
  const logger = createLogger({ console: false, spanEvents: false });
  tracer.startActiveSpan('handler', (span) => {
    logger.info('only a record', { orderId: 9 });
    span.end();
  });
  await new Promise((resolve) => setImmediate(resolve));
  const [record] = telemetry.logs.getFinishedLogRecords();
  assert.equal(record?.body, 'only a record');
  assert.equal(record?.attributes.orderId, 9);
  const [span] = telemetry.spans.getFinishedSpans();
  assert.equal(span?.name, 'handler');
  assert.deepEqual(span?.events, []);
});
