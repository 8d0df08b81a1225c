import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { chooseExporters } from '../../../src/export/choose-exporters.js';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';
import { JournalSpanExporter } from '../../../src/export/journal-span-exporter.js';
import { SpoolingLogRecordExporter } from '../../../src/export/spooling-log-record-exporter.js';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';

const describe = (exporters: unknown[]): string[] =>
  exporters.map((exporter) => {
    if (exporter instanceof SpoolingSpanExporter || exporter instanceof SpoolingLogRecordExporter) {
      const inner = exporter.exporter as { protocol?: string };
      return `${inner.protocol ?? 'other'} ${exporter.target}`;
    }
    return exporter instanceof JournalSpanExporter || exporter instanceof JournalLogExporter ? 'journal' : 'other';
  });

const shutdown = (chosen: ReturnType<typeof chooseExporters>): Promise<unknown> =>
  Promise.all([...chosen.spanExporters, ...chosen.logExporters].map((exporter) => exporter.shutdown()));

test('no collector configured: the journal only', async () => {
  const chosen = chooseExporters({ journalDir: '.j', keepJournal: false });
  assert.deepEqual(describe(chosen.spanExporters), ['journal']);
  assert.deepEqual(describe(chosen.logExporters), ['journal']);
  assert.deepEqual(chosen.spools, []);
  assert.equal(chosen.description, '.j');
});

test('a base endpoint: the official http/protobuf exporters (the default) behind spools; the journal only when asked', async () => {
  const chosen = chooseExporters({ endpoint: 'http://collector:4318/', journalDir: '.j', keepJournal: false });
  assert.deepEqual(describe(chosen.spanExporters), ['http/protobuf http://collector:4318/v1/traces']);
  assert.deepEqual(describe(chosen.logExporters), ['http/protobuf http://collector:4318/v1/logs']);
  assert.equal(chosen.spools.length, 2);
  assert.equal(chosen.description, 'http://collector:4318');
  const both = chooseExporters({ endpoint: 'http://collector:4318', journalDir: '.j', keepJournal: true });
  assert.deepEqual(describe(both.spanExporters), ['http/protobuf http://collector:4318/v1/traces', 'journal']);
  await Promise.all([shutdown(chosen), shutdown(both)]);
});

test('a signal turned off (OTEL_LOGS_EXPORTER=none) gets no exporter at all: neither the collector nor the journal', async () => {
  const noLogs = chooseExporters({
    endpoint: 'http://jaeger:4318',
    journalDir: '.j',
    keepJournal: true,
    logsOff: true,
  });
  assert.deepEqual(describe(noLogs.spanExporters), ['http/protobuf http://jaeger:4318/v1/traces', 'journal']);
  assert.deepEqual(noLogs.logExporters, []);
  assert.equal(noLogs.spools.length, 1);
  const journalSpansOnly = chooseExporters({ journalDir: '.j', keepJournal: false, logsOff: true });
  assert.deepEqual(describe(journalSpansOnly.spanExporters), ['journal']);
  assert.deepEqual(journalSpansOnly.logExporters, []);
  const nothing = chooseExporters({ journalDir: '.j', keepJournal: false, tracesOff: true, logsOff: true });
  assert.deepEqual([...nothing.spanExporters, ...nothing.logExporters], []);
  assert.equal(nothing.description, 'nowhere (every signal turned off)');
  await shutdown(noLogs);
});

test('each protocol picks its official exporter; over gRPC the endpoint is the URL', async () => {
  const json = chooseExporters({
    endpoint: 'http://c:4318',
    tracesProtocol: 'http/json',
    logsProtocol: 'grpc',
    journalDir: '.j',
    keepJournal: false,
  });
  assert.deepEqual(describe([...json.spanExporters, ...json.logExporters]), [
    'http/json http://c:4318/v1/traces',
    'grpc http://c:4318',
  ]);
  await shutdown(json);
});

test('the endpoint in code wins over the variables; per-signal URLs are used as they are', async () => {
  const code = chooseExporters({
    endpoint: 'http://code:4318',
    envEndpoint: 'http://env:4318',
    tracesUrl: 'http://env/t',
    journalDir: '.j',
    keepJournal: false,
  });
  assert.deepEqual(describe(code.spanExporters), ['http/protobuf http://code:4318/v1/traces']);
  const env = chooseExporters({
    envEndpoint: 'http://env:4318',
    tracesUrl: 'http://c/t',
    logsUrl: 'http://c/l',
    journalDir: '.j',
    keepJournal: false,
  });
  assert.deepEqual(describe([...env.spanExporters, ...env.logExporters]), [
    'http/protobuf http://c/t',
    'http/protobuf http://c/l',
  ]);
  const sibling = chooseExporters({ tracesUrl: 'http://c:4318/v1/traces', journalDir: '.j', keepJournal: false });
  assert.deepEqual(describe(sibling.logExporters), ['http/protobuf http://c:4318/v1/logs']);
  await Promise.all([shutdown(code), shutdown(env), shutdown(sibling)]);
});

test('a traces URL outside the standard layout implies no logs URL: logs go to the journal', async () => {
  const chosen = chooseExporters({ tracesUrl: 'http://c/t', journalDir: '.j', keepJournal: false });
  assert.deepEqual(describe(chosen.spanExporters), ['http/protobuf http://c/t']);
  assert.deepEqual(describe(chosen.logExporters), ['journal']);
  assert.equal(chosen.description, 'http://c/t and .j');
  await shutdown(chosen);
});

test('the official exporter reads the standard variables itself: endpoint, headers, gzip compression', async () => {
  const requests: { url: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const saved = { ...process.env };
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
  });
  try {
    const chosen = chooseExporters({
      envEndpoint: endpoint,
      journalDir: mkdtempSync(join(tmpdir(), 'otel-sessions-choose-')),
      keepJournal: false,
    });
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
    provider.getTracer('t').startSpan('sent-over-protobuf').end();
    const exporter = chosen.spanExporters[0] as SpoolingSpanExporter;
    exporter.export(memory.getFinishedSpans(), () => {});
    assert.equal(await exporter.whenSent(10_000), true);
    await shutdown(chosen);
  } finally {
    process.env = saved;
    server.close();
  }
  const [request] = requests;
  assert.ok(request);
  assert.equal(request.url, '/v1/traces');
  assert.equal(request.headers['content-type'], 'application/x-protobuf');
  assert.equal(request.headers['content-encoding'], 'gzip');
  assert.equal(request.headers['x-api-key'], 's3cret');
  assert.ok(gunzipSync(request.body).includes('sent-over-protobuf'), 'the span name is in the protobuf body');
});
