import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { context, diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { SessionLogRecordProcessor } from '../../../src/processors/session-log-record-processor.js';
import { SessionSpanProcessor } from '../../../src/processors/session-span-processor.js';
import { ThreadActivitySpanProcessor } from '../../../src/processors/thread-activity-span-processor.js';
import { currentRuntime } from '../../../src/session/sessions-runtime.js';
import { sessionsConfiguration, type SessionsConfiguration } from '../../../src/runtime/sessions-configuration.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';

const warnings: string[] = [];
const collect = (message: string): void => void warnings.push(message);
diag.setLogger({ warn: collect, error: collect, info() {}, debug() {}, verbose() {} } as DiagLogger, DiagLogLevel.WARN);
const journalDir = mkdtempSync(join(tmpdir(), 'otel-sessions-configuration-'));
after(() => rmSync(journalDir, { recursive: true, force: true }));

// Set before the first configuration: the environment is read once per process.
process.env.OTEL_SESSIONS_THREAD_TTL_MS = 'an hour';
delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

test('one call gives an SDK of your own the session processors and makes the runtime the middleware uses', async () => {
  const threadStore = new MemoryThreadStore({ ttlMs: 120_000 });
  const configuration = sessionsConfiguration({ threadStore, journalDir });
  const [sessionProcessor, activity] = configuration.spanProcessors;
  assert.ok(sessionProcessor instanceof SessionSpanProcessor);
  assert.ok(activity instanceof ThreadActivitySpanProcessor);
  assert.equal(configuration.spanProcessors.length, 3, 'session, thread activity, journal batch');
  assert.ok(configuration.logRecordProcessors[0] instanceof SessionLogRecordProcessor);
  assert.ok(configuration.instrumentations.length >= 2, 'http and undici');
  assert.ok(configuration.destination.includes(journalDir), configuration.destination);
  assert.equal(configuration.threadStore, threadStore);
  const runtime = currentRuntime();
  assert.equal(runtime.threadStore, threadStore, 'sessions() and createAgent use this runtime');
  assert.equal(runtime.threadStore.ttlMs, 120_000, "the TTL is the store's");
  assert.deepEqual(
    Object.keys(configuration).sort(),
    ['destination', 'instrumentations', 'logRecordProcessors', 'serviceName', 'spanProcessors', 'threadStore'],
    'nothing internal rides on the public object',
  );
  await shutDown(configuration);
});

test("the exporters' own requests (tracing suppressed) skip the http instrumentation; others do not", async (t) => {
  const configuration = sessionsConfiguration({
    journalDir: join(journalDir, 'ignore'),
    threadStore: new MemoryThreadStore(),
  });
  const http = configuration.instrumentations.find((each) => each instanceof HttpInstrumentation);
  const ignore = (http as HttpInstrumentation | undefined)?.getConfig().ignoreOutgoingRequestHook;
  assert.ok(ignore, 'an ignore hook');
  // As the SDK does when it starts: without a context manager, no context is ever active.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  t.after(() => {
    context.disable();
    contextManager.disable();
  });
  assert.equal(
    context.with(suppressTracing(context.active()), () => ignore({})),
    true,
  );
  assert.equal(ignore({}), false);
  await shutDown(configuration);
});

test('a bad environment value is reported once, however many times the configuration is settled', async () => {
  await shutDown(sessionsConfiguration({ journalDir, threadStore: new MemoryThreadStore() }));
  const configuration = sessionsConfiguration({ journalDir });
  await shutDown(configuration);
  const about = warnings.filter((warning) => warning.includes('OTEL_SESSIONS_THREAD_TTL_MS'));
  assert.equal(about.length, 1, about.join('\n'));
  assert.equal(currentRuntime().threadStore.ttlMs, 3_600_000, 'the bad value is ignored: the default holds');
  await configuration.threadStore.close();
});

test('threadTtlMs is the TTL of the default store, and so of the thread cookie', async () => {
  const configuration = sessionsConfiguration({ journalDir: join(journalDir, 'ttl'), threadTtlMs: 120_000 });
  assert.equal(configuration.threadStore.ttlMs, 120_000);
  assert.equal(currentRuntime().threadStore, configuration.threadStore);
  await shutDown(configuration);
  await configuration.threadStore.close();
});

async function shutDown(configuration: SessionsConfiguration): Promise<void> {
  await Promise.all(configuration.spanProcessors.map((processor) => processor.shutdown()));
  await Promise.all(configuration.logRecordProcessors.map((processor) => processor.shutdown()));
}

test('without threadStore or a Redis URL: threads live in SQLite in the journal folder, made at first use, kept across restarts', async () => {
  const dir = join(journalDir, 'default-store');
  const start = (): SessionsConfiguration => sessionsConfiguration({ journalDir: dir, maxThreadBytes: 4096 });
  const first = start();
  const runtime = currentRuntime();
  assert.equal(runtime.threadStore, first.threadStore);
  assert.equal(runtime.maxThreadBytes, 4096, 'the early check');
  assert.equal(existsSync(join(dir, 'threads.sqlite')), false, 'no file before a thread is used');
  await runtime.threadStore.save('thrd_AAAAAAAAAAAAAAAAAAAAAAAA', { cleared: false, set: {}, deleted: [] });
  assert.equal(existsSync(join(dir, 'threads.sqlite')), false, 'nor after a save that writes nothing');

  await runtime.threadStore.save('thrd_AAAAAAAAAAAAAAAAAAAAAAAA', {
    cleared: false,
    set: { plan: 'pro' },
    deleted: [],
  });
  assert.equal(existsSync(join(dir, 'threads.sqlite')), true);
  await assert.rejects(
    runtime.threadStore.save('thrd_AAAAAAAAAAAAAAAAAAAAAAAA', {
      cleared: false,
      set: { big: 'x'.repeat(5000) },
      deleted: [],
    }),
    (error: Error) => error.name === 'ThreadTooLargeError' && /4096/.test(error.message),
    "the store's own cap is the same setting",
  );
  await shutDown(first);
  await runtime.threadStore.close();

  const restarted = start();
  const snapshot = await restarted.threadStore.load('thrd_AAAAAAAAAAAAAAAAAAAAAAAA');
  assert.deepEqual(snapshot?.state, { plan: 'pro' }, 'a new process finds the thread');
  await shutDown(restarted);
  await restarted.threadStore.close();
});
