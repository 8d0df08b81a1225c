import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord, LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpoolOptions } from './batch-spool.js';
import { decodeOtlpJsonLogs } from './decode-otlp-json-logs.js';
import { LOG_RECORDS, spoolCodec } from './spool-codec.js';
import { SpoolingExporter } from './spooling-exporter.js';

/**
 * Makes any log record exporter durable, as `SpoolingSpanExporter` does for spans: each batch
 * is on disk before it is acknowledged, sent in order through `exporter`, marked sent once the
 * collector accepted it; `forceFlush` never waits for the collector. At-least-once.
 *
 * @example
 * new BatchLogRecordProcessor({
 *   exporter: new SpoolingLogRecordExporter(new OTLPLogExporter(), { dir: '.otel-sessions/spool/logs' }),
 * })
 */
export class SpoolingLogRecordExporter extends SpoolingExporter<ReadableLogRecord> implements LogRecordExporter {
  constructor(exporter: LogRecordExporter, options: SpoolOptions) {
    super(exporter, options, spoolCodec(LOG_RECORDS, exporter, JsonLogsSerializer, decodeOtlpJsonLogs));
  }
}
