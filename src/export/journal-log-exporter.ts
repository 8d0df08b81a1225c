import type { ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JournalWriter, type JournalOptions } from './journal-writer.js';

/**
 * Writes log records to the local journal as OTLP-JSON lines (`{"resourceLogs":[...]}`,
 * one line per export call), the encoding of the OpenTelemetry collector's file exporter.
 * Files are named `logs-<pid>-<start>-<seq>.jsonl`.
 *
 * @example
 * new BatchLogRecordProcessor({ exporter: new JournalLogExporter({ dir: '.otel-sessions' }) })
 */
export class JournalLogExporter implements LogRecordExporter {
  private readonly writer: JournalWriter;

  constructor(options: JournalOptions = {}) {
    this.writer = new JournalWriter('logs', options);
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.writer.write(() => JsonLogsSerializer.serializeRequest(logs), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.writer.flush();
  }

  shutdown(): Promise<void> {
    return this.writer.close();
  }
}
