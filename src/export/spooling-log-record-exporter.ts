import type { ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BatchSpool, type SpoolContents, type SpoolOptions } from './batch-spool.js';
import { decodeOtlpJsonLogs } from './decode-otlp-json-logs.js';
import { exportThrough, shutdownWithin } from './export-through.js';
import { spoolCodec } from './spool-codec.js';

/**
 * Makes any log record exporter durable, as `SpoolingSpanExporter` does for spans: each batch
 * is on disk before it is acknowledged, sent in order through `exporter`, deleted once the
 * collector accepted it; `forceFlush` never waits for the collector. At-least-once.
 *
 * @example
 * new BatchLogRecordProcessor({
 *   exporter: new SpoolingLogRecordExporter(new OTLPLogExporter(), { dir: '.otel-sessions/spool/logs' }),
 * })
 */
export class SpoolingLogRecordExporter implements LogRecordExporter {
  /** What it exports, for people: 'log records'. */
  readonly kind = 'log records';
  /** Where the wrapped exporter sends, as given in the options. */
  readonly target: string | undefined;
  private readonly spool: BatchSpool<ReadableLogRecord>;

  constructor(
    readonly exporter: LogRecordExporter,
    options: SpoolOptions,
  ) {
    this.target = options.target;
    this.spool = new BatchSpool(
      options,
      spoolCodec('log records', exporter, JsonLogsSerializer, decodeOtlpJsonLogs),
      (records) => exportThrough(exporter, records),
    );
  }

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.spool.add(records));
  }

  /** Batches are on disk once acknowledged: nothing to wait for. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves `true` once everything exported so far reached the collector, `false` after `timeoutMs`. */
  whenSent(timeoutMs: number): Promise<boolean> {
    return this.spool.whenSent(timeoutMs);
  }

  /** What waits to be sent. */
  get pending(): SpoolContents {
    return this.spool.contents;
  }

  /** Stops sending at once; what was not accepted stays on disk, and a message says how much. */
  stopSending(): void {
    this.spool.close();
  }

  /** Stops sending (what is unsent stays on disk) and shuts the wrapped exporter down, waiting for it 200 ms at most. */
  shutdown(): Promise<void> {
    this.spool.close();
    return shutdownWithin(this.exporter, 200);
  }
}
