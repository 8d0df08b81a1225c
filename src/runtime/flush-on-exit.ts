import type { RunningSessions } from './running-sessions.js';

/** How long a SIGTERM or SIGINT waits for the sessions then running to end. */
const SESSION_DRAIN_MS = 5000;

/**
 * On SIGTERM and SIGINT: lets the sessions running at the signal end (up to 5 s), their
 * `waitUntil` work included, then shuts down, then lets the signal do what it would have
 * done. Before exit: shuts down. @internal
 */
export function flushOnExit(running: RunningSessions, shutdown: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    void running
      .waitForRunningSessions(SESSION_DRAIN_MS)
      .then(shutdown)
      .finally(() => {
        // Without other listeners, the signal's default action was to end the process: keep it so.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.once('beforeExit', () => {
    void shutdown();
  });
}
