import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry, SpanEntry } from '../../../src/cli/model.js';
import { findSessionError } from '../../../src/cli/session-error.js';

/** A span of the agent whose exception event is at `exceptionMs`. */
function agentSpan(exceptionMs: number): SpanEntry {
  return {
    traceId: 't',
    spanId: 'agent',
    parentSpanId: 'root',
    name: 'agent.run chat',
    startMs: 0,
    endMs: exceptionMs + 1,
    status: 'ERROR',
    statusMessage: 'upstream exploded',
    attributes: {},
    events: [
      {
        name: 'exception',
        timeMs: exceptionMs,
        attributes: { 'exception.type': 'Error', 'exception.message': 'upstream exploded' },
      },
    ],
  };
}

const errorLog = (timeMs: number): LogEntry => ({ timeMs, level: 'error', message: 'Request failed', fields: {} });

test('an exception and an error log a few ms apart (two clocks): the exception is the error, whichever reads earlier', () => {
  for (const logMs of [97, 100, 103]) {
    const error = findSessionError([agentSpan(100)], [errorLog(logMs)]);
    assert.deepEqual(
      { kind: error?.kind, message: error?.message },
      { kind: 'exception', message: 'Error: upstream exploded' },
      `log at ${logMs} ms`,
    );
  }
});

test('an error log well before the exception is the first error', () => {
  const error = findSessionError([agentSpan(500)], [errorLog(100)]);
  assert.equal(error?.kind, 'log');
  assert.equal(error?.message, 'Request failed');
});

test('a session without errors has none; warnings are not errors', () => {
  assert.equal(findSessionError([], [{ timeMs: 1, level: 'warn', message: 'slow', fields: {} }]), undefined);
});
