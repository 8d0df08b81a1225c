/**
 * The sessions running in this process, each counted from its start until its
 * `waitUntil` work has settled, so that a shutdown can let them finish first. A session costs
 * a set entry, not a promise: a promise is made only for a shutdown that waits.
 */
export class RunningSessions {
  private readonly running = new Set<number>();
  private nextId = 0;
  /** Shutdowns waiting, each for the sessions that were running when it began. */
  private readonly waiters = new Set<{ pending: Set<number>; wake: () => void }>();

  /** Counts a session as running until the returned function is called (later calls do nothing). */
  begin(): () => void {
    const id = this.nextId++;
    this.running.add(id);
    return () => {
      if (!this.running.delete(id)) return;
      for (const waiter of this.waiters) if (waiter.pending.delete(id) && waiter.pending.size === 0) waiter.wake();
    };
  }

  /** How many sessions are running now. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Waits until the sessions running now have ended and answered, or `timeoutMs` has
   * passed, whichever is first. Sessions that start later are not waited for.
   */
  async waitForRunningSessions(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: { pending: Set<number>; wake: () => void } | undefined;
    await new Promise<void>((resolve) => {
      waiter = { pending: new Set(this.running), wake: resolve };
      this.waiters.add(waiter);
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    if (waiter !== undefined) this.waiters.delete(waiter);
    clearTimeout(timer);
    // A moment more for their responses to be written: the http server spans end then.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
