import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpSpool } from './otlp-spool.js';

/** Exports spans over OTLP/HTTP (JSON) through a spool that outlives collector outages. */
export class SpoolingSpanExporter implements SpanExporter {
  constructor(readonly spool: OtlpSpool) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    enqueue(this.spool, () => JsonTraceSerializer.serializeRequest(spans), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.spool.flush();
  }

  shutdown(): Promise<void> {
    return this.spool.shutdown();
  }
}

/** Exports log records over OTLP/HTTP (JSON) through a spool that outlives collector outages. */
export class SpoolingLogExporter implements LogRecordExporter {
  constructor(readonly spool: OtlpSpool) {}

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    enqueue(this.spool, () => JsonLogsSerializer.serializeRequest(logs), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.spool.flush();
  }

  shutdown(): Promise<void> {
    return this.spool.shutdown();
  }
}

function enqueue(
  spool: OtlpSpool,
  encode: () => Uint8Array | undefined,
  resultCallback: (result: ExportResult) => void,
): void {
  try {
    const payload = encode();
    if (payload) spool.enqueue(payload);
    resultCallback({ code: ExportResultCode.SUCCESS });
  } catch (error) {
    resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
  }
}
