import type { ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { JournalWriter, type JournalOptions } from './journal-writer.js';

/**
 * Writes spans to the local journal as OTLP-JSON lines (`{"resourceSpans":[...]}`, one
 * line per export call), the encoding of the OpenTelemetry collector's file exporter.
 * Files are named `spans-<pid>-<start>-<seq>.jsonl`.
 *
 * @example
 * new BatchSpanProcessor({ exporter: new JournalSpanExporter({ dir: '.otel-sessions' }) })
 */
export class JournalSpanExporter implements SpanExporter {
  private readonly writer: JournalWriter;

  constructor(options: JournalOptions = {}) {
    this.writer = new JournalWriter('spans', options);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.writer.write(() => JsonTraceSerializer.serializeRequest(spans), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.writer.flush();
  }

  shutdown(): Promise<void> {
    return this.writer.close();
  }
}
