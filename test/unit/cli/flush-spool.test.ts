import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';
import { recordsOf, segmentNames, unblockFifos } from '../export/spool-segments.js';
import { runCli } from './run-cli.js';

/** The one segment in a journal's span spool. */
function spanSegment(journal: string): string {
  const dir = join(journal, 'spool', 'spans');
  const names = segmentNames(dir);
  assert.equal(names.length, 1);
  return join(dir, names[0] ?? '');
}

/** Zeroes the header of a segment's record `index`. */
function zeroHeader(path: string, index: number): void {
  const record = recordsOf(path)[index];
  assert.ok(record);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(record.headerBytes), 0, record.headerBytes, record.offset);
  closeSync(fd);
}

/** A journal folder whose span spool holds what a process stopped during an outage left. */
const leftBehind = (names: string[]): Promise<string> => leftInBatches([names]);

/** The same, one batch per list of span names. */
async function leftInBatches(batches: string[][]): Promise<string> {
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
  for (const names of batches) {
    memory.reset();
    for (const name of names) provider.getTracer('t').startSpan(name).end();
    spool.export(memory.getFinishedSpans(), () => {});
  }
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

  it('sends the readable batches of a damaged segment, names it with what was skipped, exits 1', async () => {
    const journal = await leftInBatches([['a-1', 'a-2'], ['b-1'], ['c-1', 'c-2']]);
    const path = spanSegment(journal);
    zeroHeader(path, 1);
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const before = bodies.length;
    const run = await runCli(['flush-spool', '--journal', journal], { env });
    assert.equal(run.code, 1, run.err);
    const sent = bodies.slice(before).map((request) => request.body.toString());
    assert.equal(sent.length, 2);
    assert.ok(
      sent[0]?.includes('"name":"a-2"') && sent[1]?.includes('"name":"c-2"'),
      'the batches before and after it',
    );
    const lines = run.out.trimEnd().split('\n');
    assert.equal(lines[0], `sent 4 spans and 0 log records to ${endpoint}`);
    assert.match(
      lines[1] ?? '',
      /^skipped \d+ damaged bytes in 1 place\(s\) of .*\.otlp-spool; the batches there are lost$/,
    );
    assert.ok(lines[1]?.includes(path), lines[1]);
    assert.equal(lines.length, 2);
    assert.deepEqual(readdirSync(join(journal, 'spool', 'spans')), []);
    const again = await runCli(['flush-spool', '--journal', journal], { env });
    assert.equal(again.code, 0, again.out);
  });

  it('moves aside a segment with no readable batch, and says where', async () => {
    const journal = await leftBehind(['lost']);
    const path = spanSegment(journal);
    zeroHeader(path, 0);
    const { size } = statSync(path);
    const run = await runCli(['flush-spool', '--journal', journal, '--endpoint', endpoint]);
    assert.equal(run.code, 1, run.err);
    assert.equal(
      run.out,
      `nothing to send in ${journal} (segments of running processes are theirs to send)\n` +
        `no batch in ${path} is readable (${size} bytes): moved aside as ${path}.damaged\n`,
    );
    assert.deepEqual(readdirSync(join(journal, 'spool', 'spans')), [`${basename(path)}.damaged`]);
  });

  it('sends a segment whose writer process ID now belongs to another, live process', async () => {
    const journal = await leftBehind(['reused']);
    const path = spanSegment(journal);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      assert.ok(sleeper.pid);
      renameSync(path, path.replace(`-${process.pid}-`, `-${sleeper.pid}-`));
      const run = await runCli(['flush-spool', '--journal', journal], {
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      });
      assert.equal(run.code, 0, run.err);
      assert.equal(run.out, `sent 1 spans and 0 log records to ${endpoint}\n`);
      assert.deepEqual(readdirSync(join(journal, 'spool', 'spans')), []);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('finishes, leaving it alone, when a FIFO is named as a segment', async () => {
    const journal = mkdtempSync(join(tmpdir(), 'otel-sessions-flush-'));
    const dir = join(journal, 'spool', 'spans');
    mkdirSync(dir, { recursive: true });
    const fifo = join(dir, '1700000000000-2147483646-0000000001.otlp-spool');
    execFileSync('mkfifo', [fifo]);
    // Should flush-spool block opening the FIFO, this lets it go after 3 s: the test then fails.
    const unblock = unblockFifos(dir, 3);
    try {
      const started = Date.now();
      const run = await runCli(['flush-spool', '--journal', journal, '--endpoint', endpoint]);
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      assert.equal(run.code, 0, run.err);
      assert.match(run.out, /^nothing to send in /);
    } finally {
      unblock.kill('SIGKILL');
    }
    assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is left as it was');
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
