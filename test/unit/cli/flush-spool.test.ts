import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';
import { runCli } from './run-cli.js';

/** A journal folder whose span spool holds what a process stopped during an outage left. */
async function leftBehind(names: string[]): Promise<string> {
  const journal = mkdtempSync(join(tmpdir(), 'otel-sessions-flush-'));
  const down: SpanExporter = {
    export: (_spans, callback) => callback({ code: ExportResultCode.FAILED, error: new Error('down') }),
    shutdown: () => Promise.resolve(),
  };
  const spool = new SpoolingSpanExporter(down, { dir: join(journal, 'spool', 'spans'), retryDelayMs: 60_000 });
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'stopped-app' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  for (const name of names) provider.getTracer('t').startSpan(name).end();
  spool.export(memory.getFinishedSpans(), () => {});
  await spool.shutdown();
  return journal;
}

describe('otel-sessions flush-spool', () => {
  let server: Server;
  let endpoint = '';
  const bodies: { url: string; body: Buffer }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  after(() => server.close());

  it('sends what a stopped process left, over the configured protocol, and empties the spool', async () => {
    const journal = await leftBehind(['left-1', 'left-2', 'left-3']);
    const run = await runCli(['flush-spool', '--journal', journal], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, `sent 3 spans and 0 log records to ${endpoint}\n`);
    const sent = bodies.filter((request) => request.url === '/v1/traces').map((request) => request.body.toString());
    assert.equal(sent.length, 1);
    for (const name of ['left-1', 'left-2', 'left-3']) assert.ok(sent[0]?.includes(`"name":"${name}"`), name);
    assert.deepEqual(readdirSync(join(journal, 'spool', 'spans')), []);
  });

  it('says when there is nothing to send', async () => {
    const journal = mkdtempSync(join(tmpdir(), 'otel-sessions-flush-'));
    const run = await runCli(['flush-spool', '--journal', journal, '--endpoint', endpoint]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^nothing to send in /);
  });

  it('exits 1 and keeps the files when the collector does not take them in time', async () => {
    const journal = await leftBehind(['kept']);
    const run = await runCli([
      'flush-spool',
      '--journal',
      journal,
      '--endpoint',
      'http://127.0.0.1:9',
      '--timeout',
      '300ms',
    ]);
    assert.equal(run.code, 1, run.err);
    assert.match(run.out, /1 spans and 0 log records left in /);
    assert.equal(readdirSync(join(journal, 'spool', 'spans')).length, 1);
  });

  it('without a collector configured, says how to configure one (exit 2)', async () => {
    const journal = mkdtempSync(join(tmpdir(), 'otel-sessions-flush-'));
    const run = await runCli(['flush-spool', '--journal', journal]);
    assert.equal(run.code, 2);
    assert.match(run.err, /no collector configured: set OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('--endpoint and --timeout belong to flush-spool only', async () => {
    const run = await runCli(['list', '--endpoint', endpoint]);
    assert.equal(run.code, 2);
    assert.match(run.err, /--endpoint applies to flush-spool only/);
  });
});
