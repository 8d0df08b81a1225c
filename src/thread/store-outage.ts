import { diag } from '@opentelemetry/api';
import { ThreadTooLargeError } from './thread-too-large-error.js';

/**
 * Tells the operator once when the thread store fails and once when it is back, however
 * many requests meet the outage in between: one clear message, not one per request.
 */
/** Where an outage is told: `down` once when it starts, `back` once when it ends. */
export interface OutageReporter {
  down(message: string, error: unknown): void;
  back(message: string): void;
}

const DIAG_REPORTER: OutageReporter = {
  down: (message, error) => diag.error(message, error),
  back: (message) => diag.warn(message),
};

export class StoreOutage {
  private down = false;

  constructor(private readonly reporter: OutageReporter = DIAG_REPORTER) {}

  /**
   * Runs a store call; on failure reports (once per outage) and resolves `fallback`. A
   * {@link ThreadTooLargeError} is no outage (the store answered, and refused): it is
   * rethrown for the caller to report.
   */
  async attempt<T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await call();
      this.markBack();
      return result;
    } catch (error) {
      if (error instanceof ThreadTooLargeError) {
        this.markBack();
        throw error;
      }
      if (!this.down) {
        this.down = true;
        const reason = (error instanceof Error ? error.message : String(error)).replace(/^otel-sessions: /, '');
        this.reporter.down(
          `otel-sessions: the thread store failed to ${what} (${reason}); requests are still served and threads keep their IDs, but thread state is neither loaded nor saved until it is back`,
          error,
        );
      }
      return fallback;
    }
  }

  private markBack(): void {
    if (!this.down) return;
    this.down = false;
    this.reporter.back('otel-sessions: the thread store is reachable again; threads are kept as before');
  }
}
