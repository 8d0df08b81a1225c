import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { SpoolOptions } from './batch-spool.js';
import { decodeOtlpJsonSpans } from './decode-otlp-json-spans.js';
import { SPANS, spoolCodec } from './spool-codec.js';
import { SpoolingExporter } from './spooling-exporter.js';

/**
 * Makes any span exporter durable: each batch is appended to a segment file in a spool folder
 * on disk before it is acknowledged to the batch processor, then sent in order through
 * `exporter`, and marked sent once the collector accepted it (a segment file is deleted once
 * all its batches were sent). While the collector is down, batches wait on disk
 * (up to `maxBytes`, oldest dropped first); what a process leaves behind is sent by the next
 * one to open the folder. `forceFlush` returns once batches are on disk: it never waits for
 * the collector. At-least-once: a batch whose acknowledgement was lost is sent again.
 *
 * @example
 * new BatchSpanProcessor({
 *   exporter: new SpoolingSpanExporter(new OTLPTraceExporter(), { dir: '.otel-sessions/spool/spans' }),
 * })
 */
export class SpoolingSpanExporter extends SpoolingExporter<ReadableSpan> implements SpanExporter {
  constructor(exporter: SpanExporter, options: SpoolOptions) {
    super(exporter, options, spoolCodec(SPANS, exporter, JsonTraceSerializer, decodeOtlpJsonSpans));
  }
}
