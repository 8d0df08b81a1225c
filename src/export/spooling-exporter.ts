import type { ExportResult } from '@opentelemetry/core';
import { BatchSpool, type SpoolContents, type SpoolOptions } from './batch-spool.js';
import { exportThrough, shutdownWithin, type ItemExporter } from './export-through.js';
import type { SpoolCodec } from './spool-codec.js';
import type { SpoolDamage } from './spool-files.js';

/**
 * What `SpoolingSpanExporter` and `SpoolingLogRecordExporter` share: any exporter of `T`
 * made durable by a spool on disk. See {@link SpoolingSpanExporter}. Kept in the type
 * declarations (the public exporters extend it) but not exported: `@hidden` from the docs.
 * @hidden
 */
export abstract class SpoolingExporter<T> {
  /** What it exports, for messages: 'spans' or 'log records'. */
  readonly kind: string;
  /** Where the wrapped exporter sends, as given in the options. */
  readonly target: string | undefined;
  private readonly spool: BatchSpool<T>;

  /** Made by the subclasses only. @internal */
  protected constructor(
    /** The exporter that sends what the spool holds. @internal */
    readonly exporter: ItemExporter<T>,
    options: SpoolOptions,
    codec: SpoolCodec<T>,
  ) {
    this.kind = codec.what;
    this.target = options.target;
    this.spool = new BatchSpool(options, codec, (items) => exportThrough(exporter, items));
  }

  /** Writes the batch to disk, then acknowledges it; it is sent in the background. */
  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.spool.add(items));
  }

  /** Batches are on disk once acknowledged: nothing to wait for. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves `true` once everything exported so far reached the collector, `false` after `timeoutMs`. */
  whenSent(timeoutMs: number): Promise<boolean> {
    return this.spool.whenSent(timeoutMs);
  }

  /**
   * Whether the collector takes what this exporter sends, as far as its answers say: false
   * from its answer that it does not (HTTP 404, as Jaeger answers log records) until the
   * signal is offered again, five minutes later. Batches exported meanwhile are dropped
   * unencoded; `SessionsConfiguration`'s log pipeline stops making log records.
   */
  get takesItems(): boolean {
    return this.spool.takesItems;
  }

  /** What waits to be sent. */
  get pending(): SpoolContents {
    return this.spool.contents;
  }

  /** The damaged segments found in the folder when this spool started: what was skipped, or moved aside. @internal */
  get damaged(): readonly SpoolDamage[] {
    return this.spool.files.damaged;
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
