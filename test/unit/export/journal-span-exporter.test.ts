import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { JournalSpanExporter } from '../../../src/export/journal-span-exporter.js';

const SESSION = 'sess_AAAAAAAAAAAAAAAAAAAAAAAA';
const THREAD = 'thrd_BBBBBBBBBBBBBBBBBBBBBBBB';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'otel-sessions-journal-'));

describe('JournalSpanExporter', () => {
  it('writes one OTLP-JSON line per export, spans carrying session.id', async () => {
    const dir = tempDir();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'svc' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new JournalSpanExporter({ dir }) })],
    });
    const tracer = provider.getTracer('test');
    tracer.startSpan('first', { attributes: { 'session.id': SESSION, 'session.thread_id': THREAD } }).end();
    tracer.startSpan('second', { attributes: { 'session.id': SESSION, n: 2 } }).end();
    await provider.shutdown();

    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0] ?? '', new RegExp(`^spans-${process.pid}-\\d+-0001\\.jsonl$`));
    const lines = readFileSync(join(dir, files[0] ?? ''), 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, 2);
    const decoded = lines.map((line) => JSON.parse(line));
    const span = decoded[0].resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(span.name, 'first');
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.match(span.startTimeUnixNano, /^\d+$/);
    assert.deepEqual(span.attributes, [
      { key: 'session.id', value: { stringValue: SESSION } },
      { key: 'session.thread_id', value: { stringValue: THREAD } },
    ]);
    assert.deepEqual(
      decoded[0].resourceSpans[0].resource.attributes.find((kv: { key: string }) => kv.key === 'service.name'),
      {
        key: 'service.name',
        value: { stringValue: 'svc' },
      },
    );
    assert.equal(decoded[1].resourceSpans[0].scopeSpans[0].spans[0].name, 'second');
  });

  it('reports failure through the callback, never by throwing', async () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const exporter = new JournalSpanExporter({ dir: join(blocker, 'journal') });
    const spans = await someSpans();
    const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.ok(result.error instanceof Error);
    await exporter.shutdown();
    await exporter.shutdown(); // twice is fine
    const afterShutdown = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    assert.equal(afterShutdown.code, ExportResultCode.FAILED);
  });

  it('rejects nonsensical caps at construction', () => {
    assert.throws(() => new JournalSpanExporter({ maxFileBytes: 0 }), RangeError);
  });
});

async function someSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  provider
    .getTracer('t')
    .startSpan('s', { attributes: { 'session.id': SESSION } })
    .end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}
