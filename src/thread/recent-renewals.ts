/**
 * How long after a renewal a thread's expiry is left as it is: a tenth of the TTL, at most a
 * minute. A thread renewed within it still lives at least 0.9 TTL (and the TTL less a minute).
 * @internal
 */
export function renewalSlackMs(ttlMs: number): number {
  return Math.min(60_000, ttlMs / 10);
}

/** Most threads remembered; past it the least recently renewed are forgotten (and renewed again at their next touch). */
const MAX_REMEMBERED = 4096;

/**
 * The threads whose expiry a store renewed lately, and when, so that a touch renews only
 * those due (renewed longer ago than the slack), as loads and saves of the SQLite store do
 * with the time kept in each row. Bounded: forgetting a thread only costs its renewal.
 * @internal
 */
export class RecentRenewals {
  private readonly renewedAt = new Map<string, number>();

  constructor(private readonly slackMs: number) {}

  /** `threadId`'s expiry was renewed at `at` (ms since the epoch, taken before the renewal was sent). */
  note(threadId: string, at: number): void {
    const renewedAt = this.renewedAt;
    renewedAt.delete(threadId);
    if (renewedAt.size >= MAX_REMEMBERED) {
      const oldest = renewedAt.keys().next().value;
      if (oldest !== undefined) renewedAt.delete(oldest);
    }
    renewedAt.set(threadId, at);
  }

  /** Those of `threadIds` not renewed within the slack before `now`. */
  due(threadIds: readonly string[], now: number): string[] {
    return threadIds.filter((threadId) => {
      const at = this.renewedAt.get(threadId);
      return at === undefined || now - at >= this.slackMs;
    });
  }

  /** Forgets `threadId` (destroyed). */
  forget(threadId: string): void {
    this.renewedAt.delete(threadId);
  }
}
