import { context, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { SpoolCodec } from './spool-codec.js';
import { RefusedBatches, refusalOf } from './refused-batches.js';
import { SpoolFiles, type SpoolRecord } from './spool-files.js';
import { asError } from '../internal/as-error.js';
import { positiveNumber } from '../internal/positive.js';

/** Options of the spooling exporters (`SpoolingSpanExporter`, `SpoolingLogRecordExporter`). */
export interface SpoolOptions {
  /** The folder of this signal's spool, e.g. `.otel-sessions/spool/spans`; created when first needed. */
  dir: string;
  /** Where the wrapped exporter sends, for messages to the operator. @default 'the collector' */
  target?: string;
  /**
   * Most bytes kept on disk (the spool's segment files, sent batches included until their
   * segment is deleted) while the collector cannot be reached; past it the oldest batches are
   * dropped, and one message says how many spans or log records were lost.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /**
   * Most bytes (as encoded) of batches also held in memory, to be sent without reading them
   * back; the rest is read from disk when its turn comes. @default the smaller of maxBytes and 8 MiB
   */
  maxMemoryBytes?: number;
  /** Pause before the first retry after a failed send, in ms; doubles up to 5 s. @default 500 */
  retryDelayMs?: number;
  /**
   * Claim and send the batches that processes no longer running left in `dir`.
   * @default true
   */
  replayOrphans?: boolean;
}

/** Sends one batch through the wrapped exporter. @internal */
export type SpoolSend<T> = (items: T[]) => Promise<ExportResult>;

interface Entry<T> {
  seq: number;
  /** Where the batch is on disk; `undefined` when the disk refused it (kept in memory only). */
  record: SpoolRecord | undefined;
  bytes: number;
  count: number;
  /** What is sent, held in memory (see `SpoolCodec.held`); `undefined`: read back from disk when its turn comes. */
  items: T[] | undefined;
}

/** What a spool holds now. */
export interface SpoolContents {
  /** Batches waiting to be sent. */
  batches: number;
  /** Spans or log records. */
  items: number;
  /** The encoded size of those batches, in bytes. */
  bytes: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_MEMORY_BYTES = 8 * 1024 * 1024;
const MAX_RETRY_DELAY_MS = 5000;
/**
 * Largest segment file. Sent batches keep their bytes on disk until their whole segment is
 * done, and the segment being sent and the live one cannot be freed by dropping batches: an
 * eighth of the cap each leaves most of the cap to batches waiting. 4 MiB at most, so that
 * little disk is held by sent batches; a smaller cap gives smaller segments (down to one
 * batch each, as a cap of a few batches needs).
 */
const MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

/**
 * The disk spool behind `SpoolingSpanExporter` and `SpoolingLogRecordExporter`: `add` appends a
 * batch to the spool's live segment file (`SpoolFiles`) and returns (the batch is then
 * acknowledged); a single sender hands the batches, in order, to the wrapped exporter, retries
 * with backoff while it fails, and marks each one the collector accepted as done (a segment is
 * deleted once all its batches are). A batch the collector refuses as malformed is dropped;
 * after it answers that it does not take the signal at all, batches are dropped unencoded
 * until they are offered again (`takesItems`).
 * At-least-once: a batch sent but not acknowledged (a lost answer, a process killed during
 * the send) is sent again.
 * @internal
 */
export class BatchSpool<T> {
  readonly files: SpoolFiles;
  private readonly target: string;
  private readonly maxBytes: number;
  private readonly maxMemoryBytes: number;
  private readonly firstRetryDelayMs: number;
  private retryDelayMs: number;
  private readonly queue: Entry<T>[] = [];
  private seq = 0;
  private totalBytes = 0;
  private totalItems = 0;
  private memoryBytes = 0;
  /** Bytes of the batches the disk refused, held in memory only. */
  private memoryOnlyBytes = 0;
  private sending: Promise<void> | undefined;
  private inFlight: Entry<T> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private outageStarted: number | undefined;
  private droppedItems = 0;
  private readonly refused: RefusedBatches;
  private closed = false;
  private waiters: { seq: number; resolve: () => void }[] = [];

  constructor(
    options: SpoolOptions,
    private readonly codec: SpoolCodec<T>,
    private readonly send: SpoolSend<T>,
  ) {
    this.target = options.target ?? 'the collector';
    this.refused = new RefusedBatches(this.target, codec.what, codec.exporterVariable);
    this.maxBytes = positiveNumber('otel-sessions: spool maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.files = new SpoolFiles(options.dir, Math.min(MAX_SEGMENT_BYTES, Math.floor(this.maxBytes / 8)));
    this.maxMemoryBytes = Math.min(
      positiveNumber('otel-sessions: spool maxMemoryBytes', options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES),
      this.maxBytes,
    );
    this.firstRetryDelayMs = options.retryDelayMs ?? 500;
    this.retryDelayMs = this.firstRetryDelayMs;
    if (options.replayOrphans ?? true) this.replayOrphans();
  }

  /** What is waiting to be sent. */
  get contents(): SpoolContents {
    return { batches: this.queue.length, items: this.totalItems, bytes: this.totalBytes };
  }

  /**
   * Whether the collector takes this signal, as far as its answers say: false after it
   * answered that it does not (HTTP 404 or 405, gRPC UNIMPLEMENTED) until it is offered the
   * signal again, five minutes later. Batches added meanwhile are dropped unencoded.
   */
  get takesItems(): boolean {
    return this.refused.takes();
  }

  /** Bytes of batches held in memory. */
  get bytesInMemory(): number {
    return this.memoryBytes;
  }

  /** Writes a batch to disk and queues it for sending; SUCCESS once it is on disk (or, when the disk fails, in memory). */
  add(items: T[]): ExportResult {
    if (this.closed)
      return { code: ExportResultCode.FAILED, error: new Error('otel-sessions: the spool is shut down') };
    if (items.length === 0) return { code: ExportResultCode.SUCCESS };
    if (!this.refused.takes()) {
      // The collector said it does not take this signal: not encoded, kept or sent, only counted.
      this.refused.skip(items.length);
      return { code: ExportResultCode.SUCCESS };
    }
    let data: Uint8Array;
    try {
      data = this.codec.encode(items);
    } catch (error) {
      diag.error(`otel-sessions: could not encode ${items.length} ${this.codec.what} for the spool`, error);
      return { code: ExportResultCode.FAILED, error: asError(error) };
    }
    let record: SpoolRecord | undefined;
    try {
      record = this.files.write(data, items.length, this.codec.encoding);
    } catch {
      // Kept in memory only; the spool's files say once that the disk refuses writes.
    }
    const keep = record === undefined || this.memoryBytes + data.byteLength <= this.maxMemoryBytes;
    this.push({
      seq: ++this.seq,
      record,
      bytes: data.byteLength,
      count: items.length,
      items: keep ? this.codec.held(items, data) : undefined,
    });
    this.enforceCap();
    this.pump();
    return { code: ExportResultCode.SUCCESS };
  }

  /**
   * Resolves `true` once every batch added so far was sent (or dropped), or `false` after
   * `timeoutMs`. Never waits longer, whatever the collector does.
   */
  whenSent(timeoutMs: number): Promise<boolean> {
    const seq = this.seq;
    if (this.isSentUpTo(seq)) return Promise.resolve(true);
    if (this.retryTimer !== undefined) {
      // Try now rather than after the backoff: the caller is waiting.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.pump();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        resolve(false);
      }, timeoutMs);
      const entry = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(entry);
    });
  }

  /**
   * Stops sending and lets go of the folder; what was not sent stays on disk, for the next
   * process of the service (or `otel-sessions flush-spool`). Says what was lost, if anything
   * was, and what is left. Safe to call twice.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.files.close();
    this.reportDropped();
    this.refused.flush();
    const onDisk = this.queue.filter((entry) => entry.record !== undefined);
    const left = onDisk.reduce((sum, entry) => sum + entry.count, 0);
    const lost = this.totalItems - left;
    if (left > 0) {
      diag.warn(
        `otel-sessions: ${left} ${this.codec.what} not yet accepted by ${this.target} stay in ${this.files.dir}; ` +
          'they are sent when a process of the service starts again, or by `otel-sessions flush-spool`',
      );
    }
    if (lost > 0) {
      diag.error(`otel-sessions: ${lost} ${this.codec.what} that the disk refused were lost at shutdown`);
    }
  }

  private replayOrphans(): void {
    let orphans: SpoolRecord[];
    try {
      orphans = this.files.claimOrphans();
    } catch (error) {
      diag.error(`otel-sessions: could not read the spool in ${this.files.dir}`, error);
      return;
    }
    if (orphans.length === 0) return;
    for (const record of orphans) {
      this.push({ seq: ++this.seq, record, bytes: record.bytes, count: record.count, items: undefined });
    }
    diag.info(
      `otel-sessions: sending ${this.totalItems} ${this.codec.what} that an earlier process left in ${this.files.dir}`,
    );
    this.enforceCap();
    this.pump();
  }

  private push(entry: Entry<T>): void {
    this.queue.push(entry);
    this.totalBytes += entry.bytes;
    this.totalItems += entry.count;
    if (entry.items !== undefined) this.memoryBytes += entry.bytes;
    if (entry.record === undefined) this.memoryOnlyBytes += entry.bytes;
  }

  /**
   * Takes an entry off the queue: its batch is done (sent or dropped), or with `keep`, left
   * pending on disk for another process.
   */
  private remove(entry: Entry<T>, keep = false): void {
    const at = this.queue.indexOf(entry);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.totalBytes -= entry.bytes;
    this.totalItems -= entry.count;
    if (entry.items !== undefined) this.memoryBytes -= entry.bytes;
    entry.items = undefined;
    if (entry.record === undefined) this.memoryOnlyBytes -= entry.bytes;
    else if (keep) this.files.keep(entry.record);
    else this.files.done(entry.record);
    this.settleWaiters();
  }

  /**
   * Drops the oldest batches (never the one being sent, nor the newest) while the spool holds
   * more than its cap: its segments on disk, and the batches the disk refused. Disk is freed a
   * whole segment at a time, once every batch in it is done.
   */
  private enforceCap(): void {
    while (this.files.bytes + this.memoryOnlyBytes > this.maxBytes) {
      const oldest = this.queue.find((entry) => entry !== this.inFlight && entry !== this.queue.at(-1));
      if (oldest === undefined) break;
      this.droppedItems += oldest.count;
      this.remove(oldest);
    }
  }

  private isSentUpTo(seq: number): boolean {
    const first = this.queue[0];
    return first === undefined || first.seq > seq;
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (this.isSentUpTo(waiter.seq)) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private pump(): void {
    if (this.sending !== undefined || this.retryTimer !== undefined || this.closed || this.queue.length === 0) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      // A batch added while the sender was ending (it saw an empty queue) is sent now.
      this.pump();
    });
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const entry = this.queue[0];
      if (entry === undefined) return;
      const items = this.itemsOf(entry);
      if (items === undefined) continue;
      this.inFlight = entry;
      let result: ExportResult;
      try {
        result = await context.with(suppressTracing(ROOT_CONTEXT), () => this.send(items));
      } catch (error) {
        result = { code: ExportResultCode.FAILED, error: asError(error) };
      } finally {
        this.inFlight = undefined;
      }
      if (result.code === ExportResultCode.SUCCESS) {
        this.remove(entry);
        this.noteSuccess();
        continue;
      }
      const refusal = refusalOf(result.error);
      if (refusal !== undefined) {
        this.refused.add(entry.count, refusal, result.error);
        this.remove(entry);
        continue;
      }
      if (this.closed) return;
      this.noteFailure(result.error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, this.retryDelayMs);
      this.retryTimer.unref();
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
      return;
    }
  }

  /** The entry's items, from memory or read back from disk; an unreadable batch is dropped. */
  private itemsOf(entry: Entry<T>): T[] | undefined {
    if (entry.items !== undefined) return entry.items;
    const record = entry.record as SpoolRecord;
    try {
      const items = this.codec.readBack(this.files.read(record), record.encoding, record.count);
      if (items !== undefined) return items;
      // Left on disk for a process whose exporter speaks that encoding.
      diag.warn(
        `otel-sessions: ${record.count} ${this.codec.what} in ${this.files.dir} were spooled as OTLP ${record.encoding}, ` +
          'which this exporter does not send; they stay on disk (`otel-sessions flush-spool` with the protocol they were spooled for sends them)',
      );
      this.remove(entry, true);
      return undefined;
    } catch (error) {
      diag.error(
        `otel-sessions: a batch in the spool segment ${record.segment.name} in ${this.files.dir} is unreadable; dropped`,
        error,
      );
      this.remove(entry);
      return undefined;
    }
  }

  private noteFailure(error: Error | undefined): void {
    if (this.outageStarted !== undefined) return;
    this.outageStarted = Date.now();
    const cause = error?.cause instanceof Error ? error.cause.message : error?.message;
    diag.warn(
      `otel-sessions: cannot reach ${this.target} (${cause ?? 'export failed'}); keeping ${this.codec.what} in ${this.files.dir} ` +
        `(up to ${this.maxBytes} bytes) and retrying`,
    );
  }

  private noteSuccess(): void {
    this.retryDelayMs = this.firstRetryDelayMs;
    this.refused.taken();
    if (this.outageStarted === undefined) {
      this.reportDropped();
      return;
    }
    const seconds = ((Date.now() - this.outageStarted) / 1000).toFixed(1);
    const lost =
      this.droppedItems > 0
        ? `${this.droppedItems} ${this.codec.what} were dropped past the spool's cap of ${this.maxBytes} bytes`
        : 'nothing was lost';
    diag.warn(`otel-sessions: ${this.target} answers again after ${seconds} s; sending what was kept; ${lost}`);
    this.outageStarted = undefined;
    this.droppedItems = 0;
  }

  private reportDropped(): void {
    if (this.droppedItems === 0) return;
    diag.warn(
      `otel-sessions: ${this.droppedItems} ${this.codec.what} for ${this.target} were dropped past the spool's cap of ${this.maxBytes} bytes`,
    );
    this.droppedItems = 0;
  }
}
