import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { installHttpEdge } from '../edge/node-http-edge.js';
import { SessionEdge } from '../edge/session-edge.js';
import { chooseExporters, type SpoolHandle } from '../export/choose-exporters.js';
import { SpooledLogBatchProcessor } from '../export/spooled-log-batch-processor.js';
import { SpoolingLogRecordExporter } from '../export/spooling-log-record-exporter.js';
import { bridgeLegacyLogsApi } from '../logging/legacy-logs-bridge.js';
import { SessionLogRecordProcessor } from '../processors/session-log-record-processor.js';
import { SessionSpanProcessor } from '../processors/session-span-processor.js';
import { ThreadActivitySpanProcessor } from '../processors/thread-activity-span-processor.js';
import type { SessionsRuntime } from '../session/sessions-runtime.js';
import type { ThreadStore } from '../thread/thread-store.js';
import type { RegisterOptions } from './register-options.js';
import { runtimeFromSettings, setRuntime } from './runtime.js';
import { processEnvironment, settleSettings, type Settings } from './settings.js';

/** What an OpenTelemetry SDK needs to run with sessions: see {@link sessionsConfiguration}. */
export interface SessionsConfiguration {
  /** The service name configured (option, else OTEL_SERVICE_NAME), if any. */
  readonly serviceName: string | undefined;
  /** The session and thread-activity processors, then the batch exporters', then `options.spanProcessors`. */
  readonly spanProcessors: SpanProcessor[];
  /** The session log record processor, then the batch exporters', then `options.logRecordProcessors`. */
  readonly logRecordProcessors: LogRecordProcessor[];
  /** http and undici (fetch) instrumentation, then `options.instrumentations`. */
  readonly instrumentations: Instrumentation[];
  /**
   * The thread store that `sessions()`, the framework adapters and agents now use: close it
   * (`await otel.threadStore.close()`) after your SDK has shut down.
   */
  readonly threadStore: ThreadStore;
  /** Where spans and logs go, for people: an OTLP endpoint or the journal folder. */
  readonly destination: string;
}

/** What a shutdown drives: the spools, and the batch processors whose flush writes to them. @internal */
export interface Delivery {
  readonly spools: readonly SpoolHandle[];
  readonly spooledProcessors: ReadonlyArray<{ forceFlush(): Promise<void> }>;
}

/**
 * The configuration, with what `registerSessions` needs beside it and keeps from the
 * public type: the runtime, every setting, and the delivery its shutdown drives. @internal
 */
export interface ConfiguredSessions {
  /** What `sessionsConfiguration` returns. */
  readonly configuration: SessionsConfiguration;
  /** The runtime the middleware and agents now use (thread store, logger, running sessions). */
  readonly runtime: SessionsRuntime;
  /** Every setting, settled. */
  readonly settings: Settings;
  /** The disk spools in front of the OTLP exporters, and the batch processors that feed them. */
  readonly delivery: Delivery;
}

/**
 * Settles the configuration (options, then environment, then defaults) once, makes the
 * runtime that `sessions()` and `createAgent` use from now on, makes every node:http request
 * a session (unless `edge: false`), and returns the processors and instrumentations for an
 * OpenTelemetry SDK of your own. `registerSessions` is this plus a `NodeSDK`. Call it once
 * per process, before `sdk.start()` and before the app is imported.
 *
 * @example
 * const otel = sessionsConfiguration({ serviceName: 'support-agent' });
 * new NodeSDK({
 *   serviceName: otel.serviceName,
 *   spanProcessors: otel.spanProcessors,
 *   logRecordProcessors: otel.logRecordProcessors,
 *   instrumentations: [getNodeAutoInstrumentations()],
 * }).start();
 */
export function sessionsConfiguration(options: RegisterOptions = {}): SessionsConfiguration {
  return configureSessions(options).configuration;
}

/** `sessionsConfiguration`, and what `registerSessions` needs beside it. @internal */
export function configureSessions(options: RegisterOptions = {}): ConfiguredSessions {
  const settings = settleSettings(options, processEnvironment());
  const runtime = runtimeFromSettings(settings, options.threadStore, { configured: true });
  setRuntime(runtime);
  // Before the SDK starts: the http instrumentation then wraps the edge, and its server span is the session's root.
  installHttpEdge(settings.edge === false ? undefined : new SessionEdge(settings.edge, () => runtime));
  bridgeLegacyLogsApi();
  const { spanExporters, logExporters, spools, description } = chooseExporters(settings.destination);
  const spanBatches = spanExporters.map((exporter) => new BatchSpanProcessor({ ...settings.spanBatch, exporter }));
  // A spooled pipeline stops making log records while its collector takes none (Jaeger).
  const logBatches = logExporters.map((exporter) =>
    exporter instanceof SpoolingLogRecordExporter
      ? new SpooledLogBatchProcessor({ ...settings.logBatch, exporter })
      : new BatchLogRecordProcessor({ ...settings.logBatch, exporter }),
  );
  const isSpool = (exporter: unknown): boolean => spools.includes(exporter as SpoolHandle);
  const configuration: SessionsConfiguration = {
    serviceName: settings.serviceName,
    spanProcessors: [
      new SessionSpanProcessor({ convention: settings.convention }),
      new ThreadActivitySpanProcessor({ store: runtime.threadStore, outage: runtime.storeOutage }),
      ...spanBatches,
      ...(options.spanProcessors ?? []),
    ],
    logRecordProcessors: [
      new SessionLogRecordProcessor({ convention: settings.convention }),
      ...logBatches,
      ...(options.logRecordProcessors ?? []),
    ],
    instrumentations: [
      // Requests made with tracing suppressed (the exporters' own, to the collector) skip the
      // instrumentation altogether: they would only make a span that records nothing.
      new HttpInstrumentation({ ignoreOutgoingRequestHook: () => isTracingSuppressed(context.active()) }),
      new UndiciInstrumentation(),
      ...(options.instrumentations ?? []),
    ],
    threadStore: runtime.threadStore,
    destination: description,
  };
  const delivery: Delivery = {
    spools,
    spooledProcessors: [
      ...spanBatches.filter((_, i) => isSpool(spanExporters[i])),
      ...logBatches.filter((_, i) => isSpool(logExporters[i])),
    ],
  };
  return { configuration, runtime, settings, delivery };
}
