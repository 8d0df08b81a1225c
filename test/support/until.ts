import { setTimeout as delay } from 'node:timers/promises';

/** Polls `condition` every `everyMs` until it holds or `withinMs` has passed; whether it held. */
export async function until(condition: () => boolean, withinMs = 5000, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!condition() && Date.now() < deadline) await delay(everyMs);
  return condition();
}
