import { diag, DiagConsoleLogger, DiagLogLevel, logs, trace } from '@opentelemetry/api';
import { BindOnceFuture } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ThreadStore } from '../thread/thread-store.js';
import { stopTakingRequests } from '../edge/node-http-edge.js';
import { processPart } from '../internal/process-state.js';
import { installEsmLoaderHook } from './esm-loader-hook.js';
import { flushOnExit } from './flush-on-exit.js';
import type { RegisterOptions } from './register-options.js';
import { configureSessions } from './sessions-configuration.js';
import { diagnosticsOn } from './settings.js';

export type { RegisterOptions } from './register-options.js';

/** What `registerSessions` returns. */
export interface SessionsHandle {
  /** Where spans and logs go: an OTLP endpoint or the journal folder. */
  readonly destination: string;
  /** The thread store in use. */
  readonly threadStore: ThreadStore;
  /**
   * Exports everything ended so far: on disk at once, and at the collector unless it does
   * not accept it within 5 s (it is then sent later).
   */
  forceFlush(): Promise<void>;
  /**
   * Flushes, sends what it can within 2 s and stops exporting; what the collector has not
   * accepted by then stays on disk for the next process. Safe to call twice.
   */
  shutdown(): Promise<void>;
}

/** The handle of this process's `registerSessions`, in the process-wide slot shared by the ESM and CommonJS builds. */
function handlePart(): { handle?: SessionsHandle } {
  return processPart<{ handle?: SessionsHandle }>('handle', () => ({}));
}

/**
 * Starts OpenTelemetry with sessions: the AsyncLocalStorage context manager, W3C trace
 * context and baggage propagation, the session and thread-activity span processors ahead
 * of a batch exporter (OTLP/HTTP, or the local journal when no endpoint is configured),
 * logs through the same path, and http and fetch instrumentation. Calling it again
 * returns the first handle. With an SDK of your own, use `sessionsConfiguration` instead.
 *
 * @example
 * const otel = registerSessions({ serviceName: 'support-agent' });
 * process.on('SIGTERM', () => otel.shutdown());
 */
export function registerSessions(options: RegisterOptions = {}): SessionsHandle {
  const part = handlePart();
  if (part.handle) return part.handle;

  // Before the settings are settled: their warnings about the environment are printed.
  if (diagnosticsOn(options)) {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  }
  installEsmLoaderHook();

  const { configuration, runtime, settings, delivery } = configureSessions(options);
  const sdk = new NodeSDK({
    serviceName: configuration.serviceName,
    spanProcessors: configuration.spanProcessors,
    logRecordProcessors: configuration.logRecordProcessors,
    metricReaders: [],
    instrumentations: configuration.instrumentations,
  });
  sdk.start();

  const { spools, spooledProcessors } = delivery;
  const flushToSpools = (): Promise<unknown> =>
    Promise.all([flushProvider(trace.getTracerProvider()), flushProvider(logs.getLoggerProvider())]);
  /** Resolves `true` once the spools sent everything given so far, `false` after `timeoutMs`. */
  const sendWithin = async (timeoutMs: number): Promise<boolean> =>
    (await Promise.all(spools.map((spool) => spool.whenSent(timeoutMs)))).every(Boolean);
  const flushSpooled = (): Promise<unknown> =>
    Promise.all(spooledProcessors.map((processor) => processor.forceFlush()));

  // Sending happens while the batch processors still take spans (requests answered now keep
  // their telemetry); their shutdown then only writes the last batches to disk.
  const stopAll = async (): Promise<void> => {
    try {
      await flushToSpools();
      await sendWithin(SHUTDOWN_SEND_MS);
      await sdk.shutdown();
      await runtime.threadStore.close();
    } catch (error) {
      diag.error('otel-sessions: shutdown failed', error);
    }
  };
  const stopping = new BindOnceFuture<void, undefined, () => Promise<void>>(stopAll, undefined);
  const handle: SessionsHandle = {
    destination: configuration.destination,
    threadStore: runtime.threadStore,
    forceFlush: async () => {
      await flushToSpools();
      await sendWithin(FLUSH_SEND_MS);
    },
    shutdown: () => stopping.call(),
  };
  part.handle = handle;
  if (settings.flushOnExit) {
    flushOnExit(runtime.running, {
      shutdown: () => stopping.call(),
      stopTakingRequests,
      prepare: async (timeoutMs) => {
        const until = Date.now() + timeoutMs;
        await flushToSpools();
        // While the collector takes them, send the batches of requests still being answered.
        while ((await sendWithin(until - Date.now())) && Date.now() < until) {
          await flushSpooled();
          if (spools.every((spool) => spool.pending.items === 0)) break;
        }
      },
      toDisk: async () => {
        await flushSpooled();
        for (const spool of spools) spool.stopSending();
      },
    });
  }
  return handle;
}

/** How long `forceFlush` waits for the collector to accept what was flushed. */
const FLUSH_SEND_MS = 5000;
/** How long `shutdown` lets the spools send before stopping; the rest stays on disk. */
const SHUTDOWN_SEND_MS = 2000;

async function flushProvider(provider: unknown): Promise<void> {
  const delegate = (provider as { getDelegate?: () => unknown }).getDelegate?.() ?? provider;
  await (delegate as { forceFlush?: () => Promise<unknown> }).forceFlush?.();
}
