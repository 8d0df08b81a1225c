import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OtlpSpool } from '../../../src/export/otlp-spool.js';

const warnings: string[] = [];
const capture = (message: string): void => void warnings.push(message);
diag.setLogger(
  { error: capture, warn: capture, info: () => {}, debug: () => {}, verbose: () => {} } satisfies DiagLogger,
  DiagLogLevel.WARN,
);

/** A collector stand-in: records bodies; can answer 503, or answer late. */
function sink() {
  const received: string[] = [];
  const state = { mode: 'up' as 'up' | 'down' | 'slow' };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (state.mode === 'down') return void response.writeHead(503).end();
      const answer = () => (received.push(Buffer.concat(chunks).toString()), response.writeHead(200).end('{}'));
      if (state.mode === 'slow') setTimeout(answer, 1500);
      else answer();
    });
  });
  return {
    received,
    state,
    server,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`),
        ),
      ),
  };
}

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));
const encode = (n: number) => new TextEncoder().encode(JSON.stringify({ batch: n }));

test('batches sent while the collector is down arrive, in order, once it is back; one warning each way', async () => {
  const collector = sink();
  servers.push(collector.server);
  const url = await collector.listen();
  const spool = new OtlpSpool({ url, retryDelayMs: 20 });
  collector.state.mode = 'down';
  warnings.length = 0;
  for (let n = 0; n < 50; n++) spool.enqueue(encode(n));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(collector.received.length, 0);
  assert.ok(spool.pendingBytes > 0);
  collector.state.mode = 'up';
  await spool.flush(5000);
  assert.deepEqual(
    collector.received.map((body) => JSON.parse(body).batch),
    Array.from({ length: 50 }, (_, n) => n),
  );
  assert.equal(warnings.filter((w) => w.includes('cannot reach')).length, 1);
  assert.equal(warnings.filter((w) => w.includes('answers again')).length, 1);
  assert.ok(warnings.some((w) => w.includes('nothing was lost')));
});

test('a collector that is not listening at all: enqueue never throws or waits; memory stays under the bound', async () => {
  const spool = new OtlpSpool({
    url: 'http://127.0.0.1:9/v1/traces',
    maxSpoolBytes: 1000,
    retryDelayMs: 10,
    shutdownTimeoutMs: 100,
  });
  warnings.length = 0;
  const started = process.hrtime.bigint();
  for (let n = 0; n < 1000; n++) spool.enqueue(encode(n));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(spool.pendingBytes <= 1000, `held ${spool.pendingBytes} bytes`);
  assert.equal(warnings.filter((w) => w.includes('dropping the oldest')).length, 1);
  assert.ok(elapsedMs < 5000); // a sanity bound on a synchronous loop, not a timing claim
  await spool.shutdown();
});

test('a slow collector does not hold up enqueue', async () => {
  const collector = sink();
  servers.push(collector.server);
  const url = await collector.listen();
  collector.state.mode = 'slow';
  const spool = new OtlpSpool({ url });
  spool.enqueue(encode(1));
  let returned = false;
  setImmediate(() => (returned = true));
  spool.enqueue(encode(2)); // the first send is still waiting for its answer
  assert.equal(returned, false, 'enqueue returned synchronously');
  await spool.flush(10_000);
  assert.deepEqual(
    collector.received.map((body) => JSON.parse(body).batch),
    [1, 2],
  );
});

test('two shutdowns at once hand what is unsent to keepUnsent once, and both wait until it is kept', async () => {
  const events: string[] = [];
  const spool = new OtlpSpool({
    url: 'http://127.0.0.1:9/v1/traces',
    retryDelayMs: 10,
    shutdownTimeoutMs: 100,
    keepUnsent: async (batches) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events.push(`kept ${batches.length}`);
      return 'the test';
    },
  });
  for (let n = 0; n < 3; n++) spool.enqueue(encode(n));
  await Promise.all([
    spool.shutdown().then(() => events.push('done')),
    spool.shutdown().then(() => events.push('done')),
  ]);
  assert.deepEqual(events, ['kept 3', 'done', 'done']);
  await spool.shutdown();
  assert.deepEqual(events, ['kept 3', 'done', 'done'], 'a later call does nothing more');
});
