import { diag } from '@opentelemetry/api';
import { systemClock, type Clock } from '../internal/clock.js';

/** At least this long between two messages about refused batches of one spool. */
const REPORT_INTERVAL_MS = 60_000;

/**
 * How long a signal the collector does not take is left unexported before it is offered
 * again, so that a backend that starts taking it (a collector given a logs pipeline) is noticed.
 * @internal
 */
export const OFFER_AGAIN_MS = 5 * 60_000;

/** Why the collector refused a batch, as far as its answer says. @internal */
export type Refusal = 'not taken' | 'malformed';

/**
 * What the collector's answer to a failed export says, when it refused the batch itself (it
 * would refuse it again) rather than failing for the moment: `not taken` when it does not
 * take this signal at all (HTTP 404 or 405, gRPC UNIMPLEMENTED: Jaeger, for one, takes spans
 * only), `malformed` for any other 4xx but 408 and 429 (gRPC INVALID_ARGUMENT). @internal
 */
export function refusalOf(error: Error | undefined): Refusal | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'number') return undefined;
  if (error?.name === 'OTLPExporterError') {
    if (code === 404 || code === 405) return 'not taken';
    return code >= 400 && code < 500 && code !== 408 && code !== 429 ? 'malformed' : undefined;
  }
  if (code === 12) return 'not taken';
  return code === 3 ? 'malformed' : undefined;
}

/**
 * Tells the operator about batches the collector refused: one message at the first, then at
 * most one a minute with how many spans or log records were dropped since, not one per
 * batch (a backend that takes no log records refuses every batch of them). Remembers whether
 * the collector takes the signal at all, so that what it would refuse is not made or sent.
 * @internal
 */
export class RefusedBatches {
  private lastReport = Number.NEGATIVE_INFINITY;
  private unreported = 0;
  private lastRefusal: Refusal = 'malformed';
  /** When the collector last answered that it does not take this signal; undefined once it took a batch. */
  private notTakenAt: number | undefined;

  /**
   * @param target where the batches went, for the message
   * @param what 'spans' or 'log records'
   * @param exporterVariable the variable that turns this signal's export off
   */
  constructor(
    private readonly target: string,
    private readonly what: string,
    private readonly exporterVariable: string | undefined,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Whether the collector takes this signal, as far as its answers say: false from a "not
   * taken" until {@link OFFER_AGAIN_MS} later, or until it takes a batch.
   */
  takes(): boolean {
    return this.notTakenAt === undefined || this.clock() - this.notTakenAt >= OFFER_AGAIN_MS;
  }

  /** The collector took a batch: it takes the signal. */
  taken(): void {
    this.notTakenAt = undefined;
  }

  /** Counts a refused batch of `count` items; writes a message unless one was written within the minute. */
  add(count: number, refusal: Refusal, error: Error | undefined): void {
    if (refusal === 'not taken') this.notTakenAt = this.clock();
    this.count(count, refusal, error);
  }

  /** Counts a batch dropped unsent while the collector does not take the signal (see {@link takes}). */
  skip(count: number): void {
    this.count(count, 'not taken', undefined);
  }

  private count(count: number, refusal: Refusal, error: Error | undefined): void {
    this.unreported += count;
    this.lastRefusal = refusal;
    const now = this.clock();
    if (now - this.lastReport < REPORT_INTERVAL_MS) return;
    this.lastReport = now;
    this.report(error);
  }

  /** Writes what was dropped since the last message, if anything (at shutdown). */
  flush(): void {
    if (this.unreported > 0) this.report(undefined);
  }

  private report(error: Error | undefined): void {
    const dropped = this.unreported;
    this.unreported = 0;
    const answer = error?.message ? ` (${error.message})` : '';
    if (this.lastRefusal === 'not taken') {
      const off = this.exporterVariable ? `, or set ${this.exporterVariable}=none to stop exporting them` : '';
      diag.error(
        `otel-sessions: ${this.target} does not take OTLP ${this.what}${answer}; ${dropped} ${this.what} were dropped ` +
          `(a backend may take some signals only, as Jaeger takes no log records: send ${this.what} through an OpenTelemetry Collector${off}). ` +
          `Until it takes them, they are not exported, and offered again every ${OFFER_AGAIN_MS / 60_000} minutes. ` +
          'Told at most once a minute.',
      );
      return;
    }
    diag.error(
      `otel-sessions: ${this.target} refused ${dropped} ${this.what} as malformed${answer}; they were dropped. ` +
        'Told at most once a minute.',
    );
  }
}
