import { diag } from '@opentelemetry/api';
import type { RunningSessions } from '../session/running-sessions.js';

/** How long a SIGTERM or SIGINT waits for the sessions then running to end. */
const SESSION_DRAIN_MS = 5000;
/** How long a signal lets the spools send while requests are still answered. */
const SIGNAL_SEND_MS = 2000;
/**
 * The process ends this long after a SIGTERM or SIGINT at the latest, whatever the
 * collector or the thread store do: within Docker's 10 s grace period (Kubernetes' is 30 s).
 */
const SIGNAL_DEADLINE_MS = 9000;

/** The steps of a stop. @internal */
export interface ProcessStop {
  /** Flushes, sends what it can, stops exporting and closes the thread store. */
  shutdown(): Promise<void>;
  /** Stops taking new requests (the servers close; a request still arriving is answered 503). */
  stopTakingRequests?(): void;
  /** Flushes everything to the spools and lets them send, for up to `timeoutMs`. */
  prepare(timeoutMs: number): Promise<void>;
  /**
   * Writes what the spooled batch processors still hold to disk. With nothing but
   * synchronous writes behind it, it settles without yielding to I/O: no request can be
   * answered between it and the end of the process.
   */
  toDisk(): Promise<unknown>;
}

/** Waits for `promise`, or `ms` at most; never rejects. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch((error: unknown) => diag.error('otel-sessions: shutdown failed', error)),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * On SIGTERM and SIGINT: lets the sessions running at the signal end (up to 5 s, their
 * `waitUntil` work included), flushes to the spools and lets them send (up to 2 s; requests
 * answered meanwhile keep their telemetry), writes the last batches to disk and lets the
 * signal do what it would have done: within 9 s of it in all, whatever the collector does.
 * When the app has its own listener for the signal, shuts down instead and leaves the exit
 * to it. Before exit: shuts down. @internal
 */
export function flushOnExit(running: RunningSessions, stop: ProcessStop): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    const deadline = Date.now() + SIGNAL_DEADLINE_MS;
    const left = (reserveMs: number): number => Math.max(0, deadline - Date.now() - reserveMs);
    // The requests running now are answered; none after them, so that none is answered unexported.
    stop.stopTakingRequests?.();
    void (async () => {
      await within(running.waitForRunningSessions(SESSION_DRAIN_MS), left(1000));
      await within(stop.prepare(Math.min(SIGNAL_SEND_MS, left(500))), left(500));
      if (process.listenerCount(signal) > 0) {
        await within(stop.shutdown(), left(0));
        return;
      }
      // Without other listeners, the signal's default action was to end the process: keep it so.
      await stop.toDisk().catch((error: unknown) => diag.error('otel-sessions: the last flush failed', error));
      process.kill(process.pid, signal);
    })();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.once('beforeExit', () => {
    void stop.shutdown();
  });
}
