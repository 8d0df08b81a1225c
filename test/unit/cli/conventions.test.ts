// The CLI finds a request by its sess_ ID in a journal written under the OpenInference
// convention, where `session.id` holds the thread and `session.request_id` the request.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { context, propagation, SeverityNumber } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';
import { JournalSpanExporter } from '../../../src/export/journal-span-exporter.js';
import { SessionLogRecordProcessor } from '../../../src/processors/session-log-record-processor.js';
import { SessionSpanProcessor } from '../../../src/processors/session-span-processor.js';
import { withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { runCli } from './run-cli.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CBaggagePropagator());

test('show, logs, thread and list read openinference journals by the request ID', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-cli-oi-'));
  const tracers = new TracerProvider({
    spanProcessors: [
      new SessionSpanProcessor({ convention: 'openinference' }),
      new SimpleSpanProcessor({ exporter: new JournalSpanExporter({ dir }) }),
    ],
  });
  const logExporter = new JournalLogExporter({ dir });
  const loggers = new LoggerProvider({
    processors: [
      new SessionLogRecordProcessor({ convention: 'openinference' }),
      new SimpleLogRecordProcessor({ exporter: logExporter }),
    ],
  });
  const threadId = newThreadId();
  const sessionIds = [newSessionId(), newSessionId()];
  for (const sessionId of sessionIds) {
    withSession({ sessionId, threadId }, () => {
      const span = tracers.getTracer('t').startSpan('POST /chat');
      loggers
        .getLogger('t')
        .emit({ severityNumber: SeverityNumber.INFO, severityText: 'info', body: `turn of ${sessionId}` });
      span.end();
    });
  }
  await tracers.forceFlush();
  // The simple processor's forceFlush does not wait for its exports: the journal's own does.
  await logExporter.forceFlush();

  const [first, second] = sessionIds as [string, string];
  const shown = await runCli(['show', first, '--journal', dir, '--json']);
  assert.equal(shown.code, 0, shown.err);
  assert.match(shown.out, new RegExp(first));
  assert.doesNotMatch(shown.out, new RegExp(second));
  const logged = await runCli(['logs', second, '--journal', dir]);
  assert.equal(logged.code, 0, logged.err);
  assert.match(logged.out, new RegExp(`turn of ${second}`));
  assert.doesNotMatch(logged.out, new RegExp(`turn of ${first}`));
  const thread = await runCli(['thread', threadId, '--journal', dir]);
  assert.equal(thread.code, 0, thread.err);
  for (const sessionId of sessionIds) assert.match(thread.out, new RegExp(sessionId));
  const listed = await runCli(['list', '--journal', dir]);
  for (const sessionId of sessionIds) assert.match(listed.out, new RegExp(sessionId));
  assert.doesNotMatch(listed.out, new RegExp(`${threadId}\\s+${threadId}`), 'the thread is not listed as a session');
});
