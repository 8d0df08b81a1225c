/**
 * Polling, for conditions the e2e tests cannot be told about (a port opening, a trace arriving).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 50, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
