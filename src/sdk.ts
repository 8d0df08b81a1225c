/**
 * `otel-sessions/sdk`: the parts `registerSessions` and `sessionsConfiguration` assemble, for
 * wiring sessions into an OpenTelemetry SDK by hand (the span and log record processors, the
 * winston format and transport, the journal and spooling exporters), and the thread store
 * contract for writing a store of your own. An app needs none of it: see `otel-sessions`.
 * @module otel-sessions/sdk
 */
export { SessionSpanProcessor } from './processors/session-span-processor.js';
export type { SessionSpanProcessorOptions } from './processors/session-span-processor.js';
export { ThreadActivitySpanProcessor } from './processors/thread-activity-span-processor.js';
export type { ThreadActivitySpanProcessorOptions } from './processors/thread-activity-span-processor.js';
export { SessionLogRecordProcessor } from './processors/session-log-record-processor.js';
export type { SessionLogRecordProcessorOptions } from './processors/session-log-record-processor.js';
export { sessionFormat } from './logging/session-format.js';
export { OtelLogTransport } from './logging/otel-log-transport.js';
export type { OtelLogTransportOptions } from './logging/otel-log-transport.js';
export { JournalSpanExporter } from './export/journal-span-exporter.js';
export { JournalLogExporter } from './export/journal-log-exporter.js';
export type { JournalOptions } from './export/journal-writer.js';
export { SpoolingSpanExporter } from './export/spooling-span-exporter.js';
export { SpoolingLogRecordExporter } from './export/spooling-log-record-exporter.js';
export type { SpoolOptions, SpoolContents } from './export/batch-spool.js';
export { DEFAULT_THREAD_TTL_MS } from './thread/thread-store.js';
export type { ThreadStore, ThreadSnapshot, ThreadChanges, StateUpdate, JsonValue } from './thread/thread-store.js';
