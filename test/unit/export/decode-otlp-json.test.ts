import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, TraceFlags, type Context } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { decodeOtlpJsonLogs } from '../../../src/export/decode-otlp-json-logs.js';
import { decodeOtlpJsonSpans } from '../../../src/export/decode-otlp-json-spans.js';

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

function recordSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc', 'service.version': '1.2.3', pid: 42 }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('scope-a', '0.1.0');
  const other = provider.getTracer('scope-b');
  const remoteParent: Context = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const root = tracer.startSpan(
    'GET /chat',
    {
      kind: SpanKind.SERVER,
      attributes: { 'session.id': 'sess_x', n: 7, ratio: 0.25, ok: true, tags: ['a', 'b'], counts: [1, 2] },
      links: [
        {
          context: { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: 1 },
          attributes: { why: 'retry' },
        },
      ],
    },
    remoteParent,
  );
  const child = other.startSpan('db', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, root));
  child.addEvent('exception', { 'exception.message': 'boom' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return exporter.getFinishedSpans();
}

describe('decodeOtlpJsonSpans', () => {
  it('reads back what JsonTraceSerializer wrote: serializing the result gives the same bytes', () => {
    const spans = recordSpans();
    const json = JsonTraceSerializer.serializeRequest(spans);
    const decoded = decodeOtlpJsonSpans(json as Uint8Array);
    assert.equal(decoded.length, 2);
    assert.equal(text(JsonTraceSerializer.serializeRequest(decoded)), text(json));
    // …and the protobuf the official exporter sends is the same too.
    assert.deepEqual(
      ProtobufTraceSerializer.serializeRequest(decoded),
      ProtobufTraceSerializer.serializeRequest(spans),
    );
  });

  it('keeps the API view of each span: kinds, parent, remote flag, times, status, events, links', () => {
    const spans = recordSpans();
    const decoded = decodeOtlpJsonSpans(JsonTraceSerializer.serializeRequest(spans) as Uint8Array);
    const byName = new Map(decoded.map((span) => [span.name, span]));
    const original = new Map(spans.map((span) => [span.name, span]));
    for (const name of ['GET /chat', 'db']) {
      const a = original.get(name);
      const b = byName.get(name);
      assert.ok(a && b);
      assert.equal(b.kind, a.kind);
      assert.deepEqual(b.spanContext().traceId, a.spanContext().traceId);
      assert.deepEqual(b.spanContext().spanId, a.spanContext().spanId);
      assert.equal(b.parentSpanContext?.spanId, a.parentSpanContext?.spanId);
      assert.deepEqual(b.startTime, a.startTime);
      assert.deepEqual(b.endTime, a.endTime);
      assert.deepEqual(b.status, a.status);
      assert.deepEqual(b.attributes, a.attributes);
      assert.equal(b.events.length, a.events.length);
      assert.deepEqual(b.resource.attributes, a.resource.attributes);
      assert.equal(b.instrumentationScope.name, a.instrumentationScope.name);
      assert.equal(b.ended, true);
    }
    assert.equal(byName.get('GET /chat')?.parentSpanContext?.isRemote, true);
    assert.equal(byName.get('GET /chat')?.links[0]?.attributes?.why, 'retry');
    // One resource object for the batch, as the serializers group by identity.
    assert.equal(byName.get('db')?.resource, byName.get('GET /chat')?.resource);
  });

  it('throws on bytes that are not a traces request', () => {
    assert.throws(() => decodeOtlpJsonSpans(new TextEncoder().encode('{"resourceLogs":[]}')));
    assert.throws(() => decodeOtlpJsonSpans(new TextEncoder().encode('not json')));
  });
});

describe('decodeOtlpJsonLogs', () => {
  it('reads back what JsonLogsSerializer wrote: serializing the result gives the same bytes', () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'svc' }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const tracer = new TracerProvider().getTracer('t');
    const span = tracer.startSpan('s');
    const logger = provider.getLogger('winston', '3.0.0');
    logger.emit({
      body: 'hello',
      severityNumber: 9,
      severityText: 'info',
      attributes: { 'session.id': 'sess_x', n: 1 },
      context: trace.setSpan(ROOT_CONTEXT, span),
    });
    logger.emit({ body: { nested: { a: [1, 'two'] } }, eventName: 'session.end', severityNumber: 17 });
    const records = exporter.getFinishedLogRecords();
    const json = JsonLogsSerializer.serializeRequest(records);
    const decoded = decodeOtlpJsonLogs(json as Uint8Array);
    assert.equal(decoded.length, 2);
    assert.equal(text(JsonLogsSerializer.serializeRequest(decoded)), text(json));
    assert.equal(decoded[0]?.spanContext?.spanId, span.spanContext().spanId);
    assert.deepEqual(decoded[1]?.body, { nested: { a: [1, 'two'] } });
    assert.equal(decoded[1]?.eventName, 'session.end');
  });
});
