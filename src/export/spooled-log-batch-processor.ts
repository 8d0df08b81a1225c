import { BatchLogRecordProcessor, type BatchLogRecordProcessorOptions } from '@opentelemetry/sdk-logs';
import type { SpoolingLogRecordExporter } from './spooling-log-record-exporter.js';

/**
 * The SDK's batch processor in front of a spooling exporter, enabled only while the
 * exporter's collector takes log records. After the collector answers that it does not
 * (Jaeger, for one, answers 404), loggers say they are disabled (`Logger.enabled`) unless
 * another processor wants records, and the SDK makes no log record at all, rather than
 * making, encoding and sending each one for nothing. Records are offered again five minutes
 * later. @internal
 */
export class SpooledLogBatchProcessor extends BatchLogRecordProcessor {
  private readonly spool: SpoolingLogRecordExporter;

  constructor(options: BatchLogRecordProcessorOptions & { exporter: SpoolingLogRecordExporter }) {
    super(options);
    this.spool = options.exporter;
  }

  /** Whether the collector takes log records, as far as its answers say. */
  enabled(): boolean {
    return this.spool.takesItems;
  }
}
