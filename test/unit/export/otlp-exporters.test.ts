import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createOtlpSpanExporter } from '../../../src/export/otlp-exporters.js';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';
import { pendingIn, recordsIn, segmentNames } from './spool-segments.js';
import { diagTextsOfEachTest } from '../../support/diag.js';

function spans(n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  for (let i = 0; i < n; i++) provider.getTracer('t').startSpan(`span-${i}`).end();
  return memory.getFinishedSpans();
}

const messages = diagTextsOfEachTest();

/** A full garbage collection, from a context made after `--expose-gc` was set. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Exports a batch of `n` spans, keeping nothing of it but a weak reference to one span. */
function exportAndForget(exporter: SpoolingSpanExporter, n: number): WeakRef<ReadableSpan> {
  const batch = spans(n);
  const first = batch[0];
  assert.ok(first);
  exporter.export(batch, () => {});
  return new WeakRef(first);
}

/** Counts the official protobuf serializer's calls while `work` runs. */
async function protobufEncodings(work: () => Promise<void>): Promise<number> {
  const original = ProtobufTraceSerializer.serializeRequest;
  let calls = 0;
  ProtobufTraceSerializer.serializeRequest = (request) => {
    calls++;
    return original(request);
  };
  try {
    await work();
  } finally {
    ProtobufTraceSerializer.serializeRequest = original;
  }
  return calls;
}

describe('the official OTLP exporters behind the spool', () => {
  let server: Server;
  let url = '';
  const bodies: { type: string; body: Buffer }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push({ type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}/v1/traces`;
  });
  after(() => server.close());
  beforeEach(() => void (bodies.length = 0));

  it('encodes each batch once: the bytes on disk are the bytes sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-shared-'));
    const batch = spans(5);
    const exporter = new SpoolingSpanExporter(createOtlpSpanExporter({ protocol: 'http/protobuf', url }), { dir });
    let onDisk: Buffer | undefined;
    const calls = await protobufEncodings(async () => {
      exporter.export(batch, () => {});
      const [record] = recordsIn(dir);
      assert.equal(record?.encoding, 'protobuf');
      onDisk = record?.payload;
      assert.equal(await exporter.whenSent(5000), true);
    });
    assert.equal(calls, 1, 'one protobuf encoding for the spool and the request');
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0]?.type, 'application/x-protobuf');
    assert.deepEqual(bodies[0]?.body, onDisk);
    assert.deepEqual(onDisk, Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array));
    await exporter.shutdown();
  });

  it('holds a batch waiting to be sent as its bytes: its spans are collected at once', async () => {
    // Spans kept alive until the send outlive young-generation collections, and V8 then
    // allocates their kind straight into the old generation (docs/performance.md).
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-shared-'));
    const down = new SpoolingSpanExporter(
      createOtlpSpanExporter({ protocol: 'http/protobuf', url: 'http://127.0.0.1:9/v1/traces' }),
      { dir, retryDelayMs: 60_000 },
    );
    const span = exportAndForget(down, 3);
    // A weak reference's target lives to the end of the job that made it.
    await new Promise((resolve) => setTimeout(resolve, 10));
    collectGarbage();
    assert.equal(down.pending.items, 3, 'the batch still waits to be sent');
    assert.equal(span.deref(), undefined, 'no span of the batch is kept in memory');
    await down.shutdown();
  });

  it('sends a batch read back from disk as the bytes it is, without decoding or encoding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-shared-'));
    const down = new SpoolingSpanExporter(
      createOtlpSpanExporter({ protocol: 'http/protobuf', url: 'http://127.0.0.1:9/v1/traces' }),
      { dir, retryDelayMs: 60_000 },
    );
    down.export(spans(3), () => {});
    await down.shutdown();
    const onDisk = recordsIn(dir)[0]?.payload;
    assert.ok(onDisk);

    let up: SpoolingSpanExporter | undefined;
    const calls = await protobufEncodings(async () => {
      up = new SpoolingSpanExporter(createOtlpSpanExporter({ protocol: 'http/protobuf', url }), { dir });
      assert.equal(await up.whenSent(5000), true);
    });
    assert.equal(calls, 0, 'replayed without encoding');
    assert.deepEqual(bodies[0]?.body, onDisk);
    assert.deepEqual(readdirSync(dir), [], 'the claimed segment, all sent, is deleted');
    await up?.shutdown();
  });

  it('a protobuf batch left for an http/json exporter stays on disk, with a message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-shared-'));
    const down = new SpoolingSpanExporter(createOtlpSpanExporter({ protocol: 'grpc', url: 'http://127.0.0.1:9' }), {
      dir,
      retryDelayMs: 60_000,
    });
    down.export(spans(2), () => {});
    await down.shutdown();
    const json = new SpoolingSpanExporter(createOtlpSpanExporter({ protocol: 'http/json', url }), { dir });
    assert.equal(await json.whenSent(5000), true);
    await json.shutdown();
    assert.equal(bodies.length, 0);
    assert.deepEqual(
      segmentNames(dir).map((name) => name.includes('~')),
      [false],
      'kept, given back unclaimed, for an exporter that speaks protobuf',
    );
    assert.deepEqual(
      pendingIn(dir).map((record) => [record.encoding, record.count]),
      [['protobuf', 2]],
    );
    assert.ok(
      messages.some((m) => m.includes('2 spans') && m.includes('spooled as OTLP protobuf')),
      messages.join('\n'),
    );
  });
});
