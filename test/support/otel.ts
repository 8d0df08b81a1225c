import { context, propagation, trace, logs } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { SessionLogRecordProcessor } from '../../src/processors/session-log-record-processor.js';
import { SessionSpanProcessor } from '../../src/processors/session-span-processor.js';
import { ThreadActivitySpanProcessor } from '../../src/processors/thread-activity-span-processor.js';
import type { ThreadStore } from '../../src/thread/thread-store.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { createRuntime, setRuntime } from '../../src/runtime/runtime.js';
import type { SessionsRuntime } from '../../src/session/sessions-runtime.js';
import { MemoryThreadStore } from '../../src/thread/memory-thread-store.js';
import { RateLimitedWarnings } from '../../src/internal/rate-limited-warning.js';

/** The signing secret of the test runtimes: a configured one, as the rules of the signing secret ask. */
export const TEST_SECRET = 'test-runtime-secret-test-runtime-secret-0123';

/** An in-memory OpenTelemetry set-up with the session processors, for unit tests. */
export interface TestTelemetry {
  spans: InMemorySpanExporter;
  logs: InMemoryLogRecordExporter;
  activity: ThreadActivitySpanProcessor;
  tracerProvider: TracerProvider;
  /** The runtime the middleware and agents use: `options.store` (else one in memory), a quiet logger, {@link TEST_SECRET}. */
  runtime: SessionsRuntime;
}

/** Installs global providers (once per test file): context manager, propagators, tracer and logger providers, and the runtime. */
export function installTestTelemetry(options: { store?: ThreadStore; clock?: () => number } = {}): TestTelemetry {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const spans = new InMemorySpanExporter();
  const activity = new ThreadActivitySpanProcessor({ store: options.store, flushIntervalMs: 50 });
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SessionSpanProcessor(), activity, new SimpleSpanProcessor({ exporter: spans })],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    processors: [new SessionLogRecordProcessor(), new SimpleLogRecordProcessor({ exporter: logExporter })],
  });
  logs.setGlobalLoggerProvider(loggerProvider);
  const runtime = createRuntime({
    threadStore: options.store ?? new MemoryThreadStore(),
    // As registerSessions' runtime: its span processors renew the threads of its store.
    configured: true,
    logger: createLogger({ console: false }),
    secret: TEST_SECRET,
    clock: options.clock,
    // Every warning written, so that each test sees its own; the rate limit has tests of its own.
    warnings: new RateLimitedWarnings(0),
  });
  setRuntime(runtime);
  return { spans, logs: logExporter, activity, tracerProvider, runtime };
}
