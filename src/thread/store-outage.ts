import { diag } from '@opentelemetry/api';
import { ThreadTooLargeError } from './thread-too-large-error.js';

/** Where an outage is told: `down` once when it starts, `back` once when it ends. */
export interface OutageReporter {
  down(message: string, error: unknown): void;
  back(message: string): void;
}

const DIAG_REPORTER: OutageReporter = {
  down: (message, error) => diag.error(message, error),
  back: (message) => diag.warn(message),
};

/**
 * Tells the operator once when the thread store fails and once when it is back, however many
 * requests meet the outage in between. The outage ends only when every kind of call that
 * failed (load, save, touch) works again: a store that still reads but cannot write (a full
 * disk, another connection's lock) is not "reachable again" at each load.
 */
export class StoreOutage {
  /** The kinds of call (`what`) failing now. */
  private readonly failing = new Set<string>();

  constructor(private readonly reporter: OutageReporter = DIAG_REPORTER) {}

  /**
   * Runs a store call; on failure reports (once per outage) and resolves `fallback`. A
   * {@link ThreadTooLargeError} is no outage (the store answered, and refused): it is
   * rethrown for the caller to report.
   */
  async attempt<T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await call();
      this.worked(what);
      return result;
    } catch (error) {
      if (error instanceof ThreadTooLargeError) {
        this.worked(what);
        throw error;
      }
      if (this.failing.size === 0) {
        const reason = (error instanceof Error ? error.message : String(error)).replace(/^otel-sessions: /, '');
        this.reporter.down(
          `otel-sessions: the thread store failed to ${what} (${reason}); requests are still served and threads keep their IDs, but thread state is neither loaded nor saved until it is back`,
          error,
        );
      }
      this.failing.add(what);
      return fallback;
    }
  }

  private worked(what: string): void {
    if (!this.failing.delete(what) || this.failing.size > 0) return;
    this.reporter.back('otel-sessions: the thread store is reachable again; threads are kept as before');
  }
}
