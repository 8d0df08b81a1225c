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

/** Whether a store call reads threads (a load) or writes them (a save, a touch). */
export type StoreAccess = 'read' | 'write';

/**
 * Tells the operator once when the thread store fails and once when it is back, however many
 * requests meet the outage in between. The outage ends only when both kinds of access that
 * failed work again, and the store, if it tracks its own health (Redis), says it is available:
 * a store that still reads but cannot write (a full disk, another connection's lock), or a
 * Redis Cluster with one master down, is not "reachable again" at each call that works.
 */
export class StoreOutage {
  /** The kinds of access failing now. */
  private readonly failing = new Set<StoreAccess>();

  /**
   * @param reporter where the outage is told
   * @param storeAvailable the store's own view of its health, when it has one (`false`: still down)
   */
  constructor(
    private readonly reporter: OutageReporter = DIAG_REPORTER,
    private readonly storeAvailable: () => boolean | undefined = () => undefined,
  ) {}

  /**
   * Runs a store call; on failure reports (once per outage) and resolves `fallback`. A
   * {@link ThreadTooLargeError} is no outage (the store answered, and refused): it is
   * rethrown for the caller to report.
   */
  async attempt<T>(what: string, access: StoreAccess, call: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await call();
      this.worked(access);
      return result;
    } catch (error) {
      if (error instanceof ThreadTooLargeError) {
        this.worked(access);
        throw error;
      }
      if (this.failing.size === 0) {
        const reason = (error instanceof Error ? error.message : String(error)).replace(/^otel-sessions: /, '');
        this.reporter.down(
          `otel-sessions: the thread store failed to ${what} (${reason}); requests are still served and threads keep their IDs, but thread state is neither loaded nor saved until it is back`,
          error,
        );
      }
      this.failing.add(access);
      return fallback;
    }
  }

  private worked(access: StoreAccess): void {
    if (this.failing.size === 0 || this.storeAvailable() === false) return;
    this.failing.delete(access);
    if (this.failing.size > 0) return;
    this.reporter.back('otel-sessions: the thread store is reachable again; threads are kept as before');
  }
}
