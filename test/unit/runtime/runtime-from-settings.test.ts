import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { readEnvSettings } from '../../../src/runtime/env-settings.js';
import { resolveSettings } from '../../../src/runtime/resolve-settings.js';
import { runtimeFromSettings } from '../../../src/runtime/runtime-from-settings.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const tracer = trace.getTracer('test');

/** The `log` events the runtime's logger adds to a span, given these settings. */
async function logEvents(options: { logSpanEvents?: boolean }, env: NodeJS.ProcessEnv = {}): Promise<number> {
  telemetry.spans.reset();
  const settings = resolveSettings({ ...options, logToConsole: false }, readEnvSettings(env));
  const runtime = runtimeFromSettings(settings, new MemoryThreadStore());
  tracer.startActiveSpan('handler', (span) => {
    runtime.logger.info('hello');
    span.end();
  });
  await new Promise((resolve) => setImmediate(resolve));
  await runtime.threadStore.close();
  return telemetry.spans.getFinishedSpans()[0]?.events.filter((event) => event.name === 'log').length ?? -1;
}

test("the runtime's logger adds log events to spans by default; logSpanEvents: false, in code or env, turns them off", async () => {
  assert.equal(await logEvents({}), 1);
  assert.equal(await logEvents({ logSpanEvents: false }), 0);
  assert.equal(await logEvents({}, { OTEL_SESSIONS_LOG_SPAN_EVENTS: 'false' }), 0);
  assert.equal(await logEvents({ logSpanEvents: true }, { OTEL_SESSIONS_LOG_SPAN_EVENTS: 'false' }), 1);
});
