import { systemClock, type Clock } from './clock.js';
import { guard } from './guard.js';

/** How often each kind of request-triggered warning may be written. @default 60000 */
export const DEFAULT_WARNING_INTERVAL_MS = 60_000;

/** The kinds of warning a request can trigger: a fixed set, so the state they keep stays small. */
export type WarningKind =
  | 'malformed thread token'
  | 'trustInbound threw'
  | 'rejected baggage claim'
  | 'refused metadata'
  | 'thread too large'
  | 'thread not saved'
  | 'request body too large'
  | 'request body nested too deeply';

interface KindState {
  /** When the last warning of this kind was written, or -Infinity. */
  last: number;
  /** Warnings of this kind left unwritten since then. */
  suppressed: number;
}

/**
 * Writes each kind of warning at most once per interval (per runtime, so per process):
 * what a client can trigger, a client must not be able to multiply. A suppressed warning
 * is counted, and the next one written of its kind is told the count (`suppressed`).
 * A count is only ever reported by a later warning of the same kind.
 */
export class RateLimitedWarnings {
  private readonly kinds = new Map<WarningKind, KindState>();

  /**
   * @param intervalMs at least this long between two warnings of one kind; 0 writes every one.
   * @param now the clock. @default the wall clock
   */
  constructor(
    private readonly intervalMs: number = DEFAULT_WARNING_INTERVAL_MS,
    private readonly now: Clock = systemClock,
  ) {}

  /**
   * Calls `write` with the number of warnings of this kind suppressed since the last one
   * written, unless one was written less than the interval ago: then only counts it.
   * Never throws: what `write` throws goes to OTel `diag` (a warning must not fail a request).
   */
  warn(kind: WarningKind, write: (suppressed: number) => void): void {
    const time = this.now();
    let state = this.kinds.get(kind);
    if (state === undefined) {
      state = { last: Number.NEGATIVE_INFINITY, suppressed: 0 };
      this.kinds.set(kind, state);
    }
    if (time - state.last < this.intervalMs) {
      state.suppressed++;
      return;
    }
    const { suppressed } = state;
    state.last = time;
    state.suppressed = 0;
    guard('writing a warning', () => write(suppressed), undefined);
  }
}

/** `fields` with `suppressed` added when warnings were left unwritten, for a warning's log record. */
export function withSuppressed(fields: Record<string, unknown>, suppressed: number): Record<string, unknown> {
  return suppressed > 0 ? { ...fields, suppressed } : fields;
}
