import { asError } from '../internal/as-error.js';
import { ThreadStoreUnavailableError } from './store-unavailable-error.js';
import { DEFAULT_THREAD_TTL_MS, type ThreadChanges, type ThreadSnapshot, type ThreadStore } from './thread-store.js';

type GoneListener = (threadId: string, reason: 'expired' | 'destroyed') => void;

/**
 * A store made only when a thread is first written or looked up: the default SQLite store
 * creates no file in an app that never uses threads. Until then, touches and empty saves are
 * answered without it (no thread can exist in a store that was never made). A store that
 * cannot be made (the file cannot be opened) fails each call as unavailable, touches and
 * empty saves included, so that an outage is not taken for a recovery; each call tries to
 * make it again. It keeps the TTL and hands it to the store it makes, so the two cannot
 * differ. @internal
 */
export class LazyThreadStore implements ThreadStore {
  private store: ThreadStore | undefined;
  /** The last attempt to make the store failed. */
  private makeFailed = false;
  private readonly listeners: GoneListener[] = [];
  private closed = false;

  /**
   * @param make makes the store, with this store's TTL.
   * @param ttlMs how long a thread lives after its last activity, in ms.
   */
  constructor(
    private readonly make: (ttlMs: number) => ThreadStore,
    readonly ttlMs: number = DEFAULT_THREAD_TTL_MS,
  ) {}

  /** Whether the store has been made. */
  get made(): boolean {
    return this.store !== undefined;
  }

  // Not async: the store's promise is passed on as it is, without one more around it.
  load(threadId: string): Promise<ThreadSnapshot | undefined> {
    try {
      return this.now().load(threadId);
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  async save(threadId: string, changes: ThreadChanges): Promise<void> {
    const writes = Object.keys(changes.set).length > 0 || changes.metadata !== undefined;
    if (this.store === undefined && !writes && !this.makeFailed) return;
    return this.now().save(threadId, changes);
  }

  async touch(threadIds: readonly string[]): Promise<void> {
    if (this.store === undefined && !this.makeFailed) return;
    await this.now().touch(threadIds);
  }

  async destroy(threadId: string): Promise<boolean> {
    // Made for it too: the store remembers the destroyed thread, even one never written.
    return this.now().destroy(threadId);
  }

  onGone(listener: GoneListener): void {
    this.listeners.push(listener);
    this.store?.onGone?.(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.store?.close();
  }

  private now(): ThreadStore {
    if (this.store) return this.store;
    if (this.closed) throw new Error('otel-sessions: thread store used after close()');
    try {
      this.store = this.make(this.ttlMs);
      this.makeFailed = false;
    } catch (error) {
      this.makeFailed = true;
      const reason = error instanceof Error ? error.message : String(error);
      throw new ThreadStoreUnavailableError(`otel-sessions: the thread store could not be opened: ${reason}`, {
        cause: error,
      });
    }
    for (const listener of this.listeners) this.store.onGone?.(listener);
    return this.store;
  }
}
