import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { createLogger } from '../../../src/logging/create-logger.js';
import { createRuntime, runtimeFromSettings, setRuntime } from '../../../src/runtime/runtime.js';
import { Environment, settleSettings, type Settings } from '../../../src/runtime/settings.js';
import { currentRuntime, peekRuntime, runtimePart } from '../../../src/session/sessions-runtime.js';
import { LazyThreadStore } from '../../../src/thread/lazy-thread-store.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const tracer = trace.getTracer('test');
const root = mkdtempSync(join(tmpdir(), 'otel-sessions-runtime-'));
after(() => rmSync(root, { recursive: true, force: true }));

function settings(env: NodeJS.ProcessEnv = {}, options: Parameters<typeof settleSettings>[0] = {}): Settings {
  return settleSettings({ logToConsole: false, ...options }, new Environment(env));
}

/** The `log` events the runtime's logger adds to a span, given these settings. */
async function logEvents(options: { logSpanEvents?: boolean }, env: NodeJS.ProcessEnv = {}): Promise<number> {
  telemetry.spans.reset();
  const runtime = runtimeFromSettings(settings(env, options), new MemoryThreadStore());
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

test('the runtime settles its secret once, at the first use', () => {
  let calls = 0;
  const runtime = createRuntime({
    threadStore: new MemoryThreadStore(),
    logger: createLogger({ console: false }),
    secret: () => `${++calls}`.padEnd(32, 'x'),
  });
  assert.equal(calls, 0, 'not before it is needed');
  assert.equal(runtime.signingSecret(), runtime.signingSecret());
  assert.equal(calls, 1);
});

test('the runtime made without sessionsConfiguration (sessions() alone) keeps threads in memory', async () => {
  const runtime = runtimeFromSettings(settings({}, { journalDir: root }));
  assert.ok(runtime.threadStore instanceof MemoryThreadStore);
  await runtime.threadStore.close();
});

test("the thread TTL is the store's: the setting goes to the default store, which alone keeps it", async () => {
  const inMemory = runtimeFromSettings(settings({ OTEL_SESSIONS_THREAD_TTL_MS: '120000' }));
  assert.equal(inMemory.threadStore.ttlMs, 120_000);
  const journalDir = join(root, 'ttl');
  const configured = runtimeFromSettings(settings({}, { journalDir, threadTtlMs: 90_000 }), undefined, {
    configured: true,
  });
  assert.ok(configured.threadStore instanceof LazyThreadStore);
  assert.equal(configured.threadStore.ttlMs, 90_000, 'the SQLite store made later gets this TTL');
  const given = new MemoryThreadStore({ ttlMs: 5000 });
  const withGiven = runtimeFromSettings(settings({}, { threadTtlMs: 90_000 }), given);
  assert.equal(withGiven.threadStore.ttlMs, 5000, 'a store given in code keeps its own');
  await Promise.all([inMemory, configured, withGiven].map((runtime) => runtime.threadStore.close()));
});

test('the signing secret follows the documented rules: configured, else the kept one outside production, else none', async () => {
  const configured = runtimeFromSettings(settings({ OTEL_SESSIONS_SECRET: 's'.repeat(40) }, { journalDir: root }));
  assert.equal(configured.signingSecret(), 's'.repeat(40));

  const journalDir = join(root, 'kept');
  const development = runtimeFromSettings(settings({}, { journalDir }));
  const secret = development.signingSecret();
  assert.equal(readFileSync(join(journalDir, 'secret'), 'utf8').trim(), secret, 'kept in the journal folder');
  assert.equal(runtimeFromSettings(settings({}, { journalDir })).signingSecret(), secret, 'the next runtime reuses it');

  const production = runtimeFromSettings(settings({ NODE_ENV: 'production' }, { journalDir: join(root, 'prod') }));
  assert.throws(() => production.signingSecret(), /OTEL_SESSIONS_SECRET is not set and NODE_ENV is production/);
  await Promise.all([configured, development, production].map((runtime) => runtime.threadStore.close()));
});

test('the process has one runtime: set here, found by the floors below; without one, it is made from the environment', async () => {
  const previous = peekRuntime();
  assert.equal(previous, telemetry.runtime);
  assert.equal(currentRuntime(), telemetry.runtime);
  assert.equal(typeof runtimePart().fromEnvironment, 'function', 'loading the runtime module installs the maker');
  runtimePart().runtime = undefined;
  try {
    const made = currentRuntime();
    assert.notEqual(made, telemetry.runtime);
    assert.ok(made.threadStore instanceof MemoryThreadStore, 'from the environment alone: threads in memory');
    assert.equal(currentRuntime(), made, 'made once');
    assert.equal(peekRuntime(), made);
    await made.threadStore.close();
  } finally {
    setRuntime(telemetry.runtime);
  }
});
