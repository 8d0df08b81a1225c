// The spool's timers are unref'd (they must never hold a process open). On Node 22, node:test
// ends a test whose only pending work is such a timer ("the event loop has already resolved").
import { after } from 'node:test';

/** Keeps the event loop running until the calling test file ends, with one ref'd timer. */
export function keepEventLoopAliveForThisFile(): void {
  const keepAlive = setInterval(() => {}, 60_000);
  after(() => clearInterval(keepAlive));
}
