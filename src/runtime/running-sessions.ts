/**
 * The sessions running in this process, each counted from its start until its
 * `waitUntil` work has settled, so that a shutdown can let them finish first.
 */
export class RunningSessions {
  private readonly running = new Set<Promise<void>>();

  /** Counts a session as running until `done` settles. */
  track(done: Promise<void>): void {
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
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
    const now = [...this.running];
    if (now.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(now),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    // A moment more for their responses to be written: the http server spans end then.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
