import { context, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { BindOnceFuture, suppressTracing } from '@opentelemetry/core';
import { httpPost } from './http-post.js';

/** Options of {@link OtlpSpool}. */
export interface OtlpSpoolOptions {
  /** The OTLP/HTTP URL of one signal, e.g. `http://localhost:4318/v1/traces`. */
  url: string;
  /** Headers on every request (e.g. from OTEL_EXPORTER_OTLP_HEADERS). @default {} */
  headers?: Record<string, string>;
  /**
   * Most bytes of encoded batches held while the collector cannot be reached; past it the
   * oldest batches are dropped, with one warning per outage. @default 67108864 (64 MiB)
   */
  maxSpoolBytes?: number;
  /** How long one request may take, in ms. @default 10000 */
  timeoutMs?: number;
  /** Pause before the first retry after a failure, in ms; doubles up to 5 s. @default 500 */
  retryDelayMs?: number;
  /** How long `shutdown` tries to send what is held, in ms. @default 5000 */
  shutdownTimeoutMs?: number;
  /**
   * Where batches still unsent at shutdown go (e.g. the local journal), so that a process
   * stopped during an outage loses nothing. @default none: they are dropped, with a warning
   */
  keepUnsent?: (payloads: Uint8Array[]) => Promise<string>;
}

const MAX_RETRY_DELAY_MS = 5000;

/**
 * Sends OTLP/JSON batches to a collector in order, off the request path, and keeps them
 * while the collector is down or slow: `enqueue` never waits, failed sends are retried
 * with backoff, and everything held is sent once the collector answers again. Memory is
 * bounded by `maxSpoolBytes`. The operator hears once when an outage starts and once
 * when it ends.
 */
export class OtlpSpool {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private readonly maxSpoolBytes: number;
  private readonly timeoutMs: number;
  private readonly firstRetryDelayMs: number;
  private retryDelayMs: number;
  private sending: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private outageStarted: number | undefined;
  private droppedInOutage = 0;
  private closed = false;
  private readonly stopping = new BindOnceFuture<void, undefined, () => Promise<void>>(() => this.stop(), undefined);

  private readonly target: URL;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: OtlpSpoolOptions) {
    this.target = new URL(options.url);
    this.headers = { 'content-type': 'application/json', ...options.headers };
    this.maxSpoolBytes = options.maxSpoolBytes ?? 64 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.firstRetryDelayMs = options.retryDelayMs ?? 500;
    this.retryDelayMs = this.firstRetryDelayMs;
  }

  /** Where it sends. */
  get url(): string {
    return this.options.url;
  }

  /** Bytes waiting to be sent. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Queues one encoded batch and starts sending; returns at once. */
  enqueue(payload: Uint8Array): void {
    this.queue.push(payload);
    this.queuedBytes += payload.byteLength;
    while (this.queuedBytes > this.maxSpoolBytes && this.queue.length > 1) {
      const dropped = this.queue.shift() as Uint8Array;
      this.queuedBytes -= dropped.byteLength;
      if (this.droppedInOutage++ === 0) {
        diag.error(
          `otel-sessions: more than ${this.maxSpoolBytes} bytes of telemetry are waiting for ${this.options.url}; dropping the oldest until it answers`,
        );
      }
    }
    this.pump();
  }

  /** Resolves when everything queued so far was sent, or after `timeoutMs` (default 30 s). */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      this.pump();
      await Promise.race([this.sending, new Promise((resolve) => setTimeout(resolve, 50))]);
      if (this.outageStarted !== undefined)
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(this.retryDelayMs, Math.max(0, deadline - Date.now()))),
        );
    }
  }

  /** Sends what it can within `shutdownTimeoutMs`, hands the rest to `keepUnsent`, and stops. Safe to call twice. */
  shutdown(): Promise<void> {
    return this.stopping.call();
  }

  private async stop(): Promise<void> {
    await this.flush(this.options.shutdownTimeoutMs ?? 5000);
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const unsent = this.queue.splice(0);
    this.queuedBytes = 0;
    if (unsent.length === 0) return;
    if (!this.options.keepUnsent) {
      diag.error(
        `otel-sessions: ${unsent.length} batches of telemetry could not be sent to ${this.options.url} before shutdown and were dropped`,
      );
      return;
    }
    try {
      const where = await this.options.keepUnsent(unsent);
      diag.warn(
        `otel-sessions: ${unsent.length} batches of telemetry could not be sent to ${this.options.url} before shutdown; they were written to ${where}`,
      );
    } catch (error) {
      diag.error(
        `otel-sessions: ${unsent.length} batches of telemetry could not be sent to ${this.options.url} nor kept`,
        error,
      );
    }
  }

  private pump(): void {
    if (this.sending !== undefined || this.retryTimer !== undefined || this.closed) return;
    this.sending = this.drain().finally(() => (this.sending = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const payload = this.queue[0] as Uint8Array;
      try {
        await this.send(payload);
      } catch (error) {
        this.noteFailure(error);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, this.retryDelayMs);
        this.retryTimer.unref();
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
        return;
      }
      if (this.queue[0] === payload) {
        this.queue.shift();
        this.queuedBytes -= payload.byteLength;
      }
      this.noteSuccess();
    }
  }

  /** Posts one batch; throws when it should be retried. A batch the collector rejects as malformed is dropped. */
  private async send(payload: Uint8Array): Promise<void> {
    // The spool's own requests must not be traced, or every export would make new spans.
    const status = await context.with(suppressTracing(ROOT_CONTEXT), () =>
      httpPost(this.target, this.headers, payload, this.timeoutMs),
    );
    if (status >= 200 && status < 300) return;
    if (status === 429 || status >= 500) throw new Error(`HTTP ${status}`);
    diag.error(`otel-sessions: ${this.options.url} refused a batch of telemetry (HTTP ${status}); it was dropped`);
  }

  private noteFailure(error: unknown): void {
    if (this.outageStarted !== undefined) return;
    this.outageStarted = Date.now();
    const reason =
      error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    diag.warn(
      `otel-sessions: cannot reach ${this.options.url} (${reason}); keeping telemetry (up to ${this.maxSpoolBytes} bytes) and retrying`,
    );
  }

  private noteSuccess(): void {
    this.retryDelayMs = this.firstRetryDelayMs;
    if (this.outageStarted === undefined) return;
    const seconds = ((Date.now() - this.outageStarted) / 1000).toFixed(1);
    const dropped = this.droppedInOutage > 0 ? `; ${this.droppedInOutage} batches were dropped` : '; nothing was lost';
    diag.warn(`otel-sessions: ${this.options.url} answers again after ${seconds} s; sending what was kept${dropped}`);
    this.outageStarted = undefined;
    this.droppedInOutage = 0;
  }
}
