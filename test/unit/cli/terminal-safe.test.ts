// Text output never passes a control character from telemetry to the terminal.
/* eslint-disable no-control-regex -- the assertions look for control characters */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';
import { JournalSpanExporter } from '../../../src/export/journal-span-exporter.js';
import { terminalSafe } from '../../../src/cli/format/terminal-safe.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { runCli } from './run-cli.js';

const HOSTILE = '\u001b]0;PWNED\u0007\u001b[2J\rback\u009b31m\u202egnp.exe\u2066x\u0085';

test('terminalSafe shows ESC, BEL, CR, C1, NEL and bidi controls as escapes, and keeps tabs', () => {
  assert.equal(
    terminalSafe(`a\t${HOSTILE}`, false),
    'a\t\\u001b]0;PWNED\\u0007\\u001b[2J\\u000dback\\u009b31m\\u202egnp.exe\\u2066x\\u0085',
  );
  // The palette's own marks become SGR sequences only when styling is on.
  assert.equal(terminalSafe('\uE0001\uE001x\uE00022\uE001', true), '\x1b[1mx\x1b[22m');
  assert.equal(terminalSafe('\uE0001\uE001x', false), '\uE0001\uE001x');
});

test('show, logs and list print hostile names, metadata and messages as visible escapes, coloured or not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-cli-hostile-'));
  const tracers = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: new JournalSpanExporter({ dir }) })],
  });
  const logExporter = new JournalLogExporter({ dir });
  const loggers = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  const ids = { 'session.id': newSessionId(), 'session.thread_id': newThreadId() };
  const span = tracers.getTracer('t').startSpan(`POST ${HOSTILE}`, {
    attributes: { ...ids, 'session.metadata.requestType': HOSTILE, [`key${HOSTILE}`]: 'v' },
  });
  span.end();
  loggers.getLogger('t').emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: 'error',
    body: `failed ${HOSTILE}`,
    attributes: { ...ids, detail: HOSTILE },
  });
  await tracers.forceFlush();
  // The simple processor's forceFlush does not wait for its exports: the journal's own does.
  await logExporter.forceFlush();
  for (const isTTY of [false, true]) {
    for (const argv of [['show', ids['session.id']], ['logs', ids['session.id']], ['list']]) {
      const run = await runCli([...argv, '--journal', dir], { isTTY, env: {} });
      assert.equal(run.code, 0, run.err);
      // Only SGR colour sequences (ESC [ digits m) may remain, and only on a terminal.
      const withoutColour = run.out.replace(/\x1b\[\d{1,2}m/g, '');
      assert.doesNotMatch(
        withoutColour,
        /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
        `${argv[0]} (tty ${isTTY})`,
      );
      if (argv[0] !== 'list') assert.match(run.out, /\\u001b\]0;PWNED\\u0007/, `${argv[0]} shows the escape`);
      if (!isTTY) assert.doesNotMatch(run.out, /\x1b/);
    }
  }
});
