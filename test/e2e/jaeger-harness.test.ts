/**
 * Proves the e2e harness (support/jaeger.ts) against the real processes: a span sent through
 * the collector tier, which runs the shipped collector-config.yaml, is found in Jaeger by its
 * session.id tag, a log record reaches the collector's debug output with its session.id, and
 * no Jaeger process outlives a stack, even when the test process fails or is interrupted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SeverityNumber } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { findTraces, spanTag, startJaegerStack, waitForTraces, type JaegerStack } from './support/jaeger.js';
import { assertNoProcessLeft } from './support/process-table.js';
import { waitUntil } from './support/wait.js';

const newId = (prefix: string): string => prefix + randomBytes(18).toString('base64url');

/** Sends one span with the given attributes through OTLP/HTTP and waits for the export. */
async function sendSpan(
  otlpHttpEndpoint: string,
  service: string,
  attributes: Record<string, string>,
): Promise<string> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpHttpEndpoint}/v1/traces` }) }),
    ],
  });
  const span = provider.getTracer('harness-test').startSpan('harness-span', { attributes });
  span.end();
  await provider.shutdown(); // flushes
  return span.spanContext().traceId;
}

describe('Jaeger + collector harness', () => {
  let stack: JaegerStack;

  before(async () => {
    stack = await startJaegerStack();
  });
  after(async () => {
    await stack?.stop();
  });

  test('a span sent through the collector is found in Jaeger by its session.id tag, and only by it', async (t) => {
    const service = `harness-${randomBytes(4).toString('hex')}`;
    const sessionId = newId('sess_');
    const traceId = await sendSpan(stack.otlpHttpEndpoint, service, { 'session.id': sessionId });
    // A second trace of the same service with another session, which the filter must leave out.
    await sendSpan(stack.otlpHttpEndpoint, service, { 'session.id': newId('sess_') });

    try {
      await waitForTraces(stack.queryUrl, service, {}, { until: (traces) => traces.length === 2 });
      const found = await findTraces(stack.queryUrl, service, { 'session.id': sessionId });
      assert.deepEqual(
        found.map((trace) => trace.traceID),
        [traceId],
      );
      const [span] = found[0]?.spans ?? [];
      assert.equal(span && spanTag(span, 'session.id'), sessionId);

      assert.deepEqual(await findTraces(stack.queryUrl, service, { 'session.id': newId('sess_') }), []);
    } catch (error) {
      t.diagnostic(`collector output:\n${stack.collectorOutput()}\njaeger output:\n${stack.jaegerOutput()}`);
      throw error;
    }
  });

  test("a log record reaches the collector's debug output with its session.id", async () => {
    const sessionId = newId('sess_');
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'harness-logs' }),
      processors: [
        new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${stack.otlpHttpEndpoint}/v1/logs` }) }),
      ],
    });
    provider.getLogger('harness-test').emit({
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'hello from the harness test',
      attributes: { 'session.id': sessionId },
    });
    await provider.shutdown();

    await waitUntil(() => stack.collectorOutput().includes(`session.id: Str(${sessionId})`), {
      timeoutMs: 10_000,
      what: 'the log record in the collector output',
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- collector output ---\n${stack.collectorOutput()}`);
    });
    assert.match(stack.collectorOutput(), /Body: Str\(hello from the harness test\)/);
  });

  test('the collector tier restarts on the same ports', async () => {
    await stack.stopCollector();
    await stack.startCollector();
    const service = `harness-${randomBytes(4).toString('hex')}`;
    const sessionId = newId('sess_');
    await sendSpan(stack.otlpHttpEndpoint, service, { 'session.id': sessionId });
    const traces = await waitForTraces(stack.queryUrl, service, { 'session.id': sessionId });
    assert.equal(traces.length, 1);
  });
});

describe('tear-down', () => {
  test('stop() leaves no Jaeger process behind', async () => {
    const stack = await startJaegerStack();
    const pids = stack.pids();
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /jaeger/);
    await stack.stop();
    // stop() waited for the exits, so nothing may remain even for a moment.
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `process ${pid} remains`);
    await assertNoProcessLeft(pids);
    await stack.stop(); // twice is harmless
  });

  const fixture = fileURLToPath(new URL('./apps/stack-then-die.ts', import.meta.url));

  /** Runs the fixture, which starts a stack and then dies without stopping it; returns the stack's pids and how the fixture ended. */
  async function runFixture(
    mode: 'throw' | 'exit' | 'wait',
    signal?: NodeJS.Signals,
  ): Promise<{ pids: number[]; code: number | null; signal: NodeJS.Signals | null }> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitUntil(() => stdout.includes('\n') || child.exitCode !== null, {
        timeoutMs: 60_000,
        what: 'the fixture to start its stack',
      });
      const line = stdout.split('\n')[0] ?? '';
      assert.ok(line.startsWith('{'), `fixture printed no pids; stderr:\n${stderr}`);
      const { pids } = JSON.parse(line) as { pids: number[] };
      if (signal !== undefined) child.kill(signal);
      await exited;
      return { pids, code: child.exitCode, signal: child.signalCode };
    } finally {
      // SIGTERM, not SIGKILL: the fixture's own clean-up then ends its stack.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  }

  const endings = [
    { name: 'throws', mode: 'throw', expected: { code: 1, signal: null } },
    { name: 'calls process.exit(3)', mode: 'exit', expected: { code: 3, signal: null } },
    { name: 'gets SIGINT', mode: 'wait', send: 'SIGINT', expected: { code: null, signal: 'SIGINT' } },
    { name: 'gets SIGTERM', mode: 'wait', send: 'SIGTERM', expected: { code: null, signal: 'SIGTERM' } },
  ] as const;
  for (const ending of endings) {
    test(`a test process that ${ending.name} without stopping its stack leaves no Jaeger process behind`, async () => {
      const { pids, code, signal } = await runFixture(ending.mode, 'send' in ending ? ending.send : undefined);
      assert.equal(pids.length, 2);
      // The fixture died as intended: a signal is re-raised after the clean-up, not swallowed.
      assert.deepEqual({ code, signal }, ending.expected);
      await assertNoProcessLeft(pids);
    });
  }
});
