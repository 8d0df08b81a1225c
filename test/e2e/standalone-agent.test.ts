/**
 * A standalone `agent.run()` (a script or job, no server) in flight at SIGTERM: the process
 * lets it finish, its `waitUntil` work included, then exports, then ends by the signal.
 * 1. Through the real collector into Jaeger: its spans in Jaeger, its log records in the
 *    collector's output and as `log` events on the agent's span.
 * 2. Without an endpoint: its spans and log records in the local journal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { JournalSource } from '../../src/cli/sources/journal.js';
import { startJaegerStack, waitForTraces, type JaegerSpan } from './support/jaeger.js';
import { startProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const SERVICE = 'standalone-job';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const journalDir = mkdtempSync(join(tmpdir(), 'otel-sessions-standalone-'));
after(() => rmSync(journalDir, { recursive: true, force: true }));

/** Starts the job, sends SIGTERM while its agent.run is in flight, and returns its session ID once it has exited. */
async function runJobAndSignal(env: Record<string, string>): Promise<string> {
  const job = startProcess({
    name: SERVICE,
    command: process.execPath,
    args: [
      '--import',
      'otel-sessions/register',
      '--import',
      'tsx',
      fileURLToPath(new URL('./apps/standalone-job.ts', import.meta.url)),
    ],
    cwd: repoRoot, // where `otel-sessions` resolves to this package's dist/
    env: { OTEL_SERVICE_NAME: SERVICE, OTEL_SESSIONS_LOG_CONSOLE: 'false', ...env },
  });
  try {
    await waitUntil(() => /RUNNING sess_/.test(job.output()), {
      timeoutMs: 20_000,
      intervalMs: 20,
      what: 'the job to start',
    });
    const sessionId = /RUNNING (sess_\S+)/.exec(job.output())?.[1] ?? '';
    process.kill(job.pid, 'SIGTERM');
    await waitUntil(() => job.exitStatus() !== null, { timeoutMs: 15_000, intervalMs: 50, what: 'the job to exit' });
    assert.deepEqual(job.exitStatus(), { code: null, signal: 'SIGTERM' }, `ends by the signal\n${job.output()}`);
    assert.match(job.output(), new RegExp(`DONE ${sessionId}`), 'the job finished before the process ended');
    return sessionId;
  } finally {
    await job.stop(2000);
  }
}

test('SIGTERM during a standalone agent.run: it finishes, and its spans and log records reach Jaeger and the collector', async () => {
  const stack = await startJaegerStack();
  try {
    const sessionId = await runJobAndSignal({ OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint });
    const [trace] = await waitForTraces(
      stack.queryUrl,
      SERVICE,
      { 'session.id': sessionId },
      {
        until: (traces) => traces.some((found) => found.spans.length >= 2),
      },
    );
    assert.ok(trace);
    const names = trace.spans.map((span) => span.operationName).sort();
    assert.deepEqual(names, ['agent.run NightlyJob', 'session NightlyJob']);
    const agentSpan = trace.spans.find((span) => span.operationName === 'agent.run NightlyJob') as JaegerSpan;
    const onAgentSpan = agentSpan.logs.map((log) => log.fields.find((field) => field.key === 'log.message')?.value);
    assert.deepEqual(onAgentSpan, ['Job started', 'Job finished']);

    await waitUntil(() => stack.collectorOutput().includes('Body: Str(Background work done)'), {
      timeoutMs: 10_000,
      what: 'the log records in the collector output',
    });
    const output = stack.collectorOutput();
    for (const message of ['Job started', 'Job finished', 'Background work done']) {
      assert.ok(output.includes(`Body: Str(${message})`), message);
    }
    assert.ok(output.includes(`session.id: Str(${sessionId})`));
  } finally {
    await stack.stop();
  }
});

test('SIGTERM during a standalone agent.run without an endpoint: its spans and log records are in the journal', async () => {
  const sessionId = await runJobAndSignal({ OTEL_SESSIONS_JOURNAL_DIR: journalDir });
  const journal = new JournalSource(journalDir);
  const names = (await journal.sessionSpans(sessionId)).map((span) => span.name).sort();
  assert.deepEqual(names, ['agent.run NightlyJob', 'session NightlyJob'], JSON.stringify(names));
  const messages = (await journal.sessionLogs(sessionId)).map((log) => log.message).sort();
  assert.deepEqual(messages, ['Background work done', 'Job finished', 'Job started']);
});
