import type { ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { BatchSpool, type SpoolContents, type SpoolOptions } from './batch-spool.js';
import { decodeOtlpJsonSpans } from './decode-otlp-json-spans.js';
import { exportThrough, shutdownWithin } from './export-through.js';
import { spoolCodec } from './spool-codec.js';

/**
 * Makes any span exporter durable: each batch is written to a spool folder on disk before
 * it is acknowledged to the batch processor, then sent in order through `exporter`, and
 * deleted once the collector accepted it. While the collector is down, batches wait on disk
 * (up to `maxBytes`, oldest dropped first); what a process leaves behind is sent by the next
 * one to open the folder. `forceFlush` returns once batches are on disk: it never waits for
 * the collector. At-least-once: a batch whose acknowledgement was lost is sent again.
 *
 * @example
 * new BatchSpanProcessor({
 *   exporter: new SpoolingSpanExporter(new OTLPTraceExporter(), { dir: '.otel-sessions/spool/spans' }),
 * })
 */
export class SpoolingSpanExporter implements SpanExporter {
  /** What it exports, for people: 'spans'. */
  readonly kind = 'spans';
  /** Where the wrapped exporter sends, as given in the options. */
  readonly target: string | undefined;
  private readonly spool: BatchSpool<ReadableSpan>;

  constructor(
    readonly exporter: SpanExporter,
    options: SpoolOptions,
  ) {
    this.target = options.target;
    this.spool = new BatchSpool(
      options,
      spoolCodec('spans', exporter, JsonTraceSerializer, decodeOtlpJsonSpans),
      (spans) => exportThrough(exporter, spans),
    );
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.spool.add(spans));
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
