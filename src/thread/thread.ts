import { Listeners } from '../internal/listeners.js';
import { toJsonMetadata } from './json-state.js';
import { ThreadState } from './thread-state.js';
import type { JsonValue, ThreadChanges, ThreadSnapshot, ThreadStore } from './thread-store.js';

/** The event of a thread's `destroyed` listeners. */
export interface ThreadDestroyedEvent {
  /** The thread that ended (`thrd_…`). */
  readonly threadId: string;
  /** `destroyed` when `destroy()` was called; `expired` after its time without activity. */
  readonly reason: 'destroyed' | 'expired';
}

/**
 * A conversation: the sessions of one user's multi-turn exchange share it. Its state and
 * metadata persist across those sessions until one hour (by default) after its last activity.
 */
export class Thread {
  /** The thread ID (`thrd_…`). */
  readonly id: string;
  /** State that persists across the sessions of this thread (JSON values). */
  readonly state: ThreadState;
  /** The metadata as the store had it when the session started. */
  private readonly storedMetadata: Record<string, JsonValue>;
  /** The metadata this session set, if it did. */
  private metadata: Record<string, JsonValue> | undefined;
  private metadataChanged = false;
  private readonly listeners = new Listeners<'destroyed', ThreadDestroyedEvent>();
  private gone = false;
  private destroyedHere = false;
  /** Whether the store may hold this thread: it was loaded from it, or changes were handed to it. */
  private inStore: boolean;
  /**
   * `true` when the thread store could not be reached as the session started: the state reads
   * empty and nothing written to it is saved (a write on top of state never loaded would
   * clobber the stored thread). The request is served all the same; a handler that must not
   * answer as if the conversation had started over checks this.
   * @example
   * if (ctx.thread.stateUnavailable) return { error: 'Conversation history is unavailable, try again shortly' };
   */
  readonly stateUnavailable: boolean;
  /** The store the thread is saved to. @internal */
  readonly store: ThreadStore;

  /**
   * Made by otel-sessions as a session opens its thread (`ctx.thread`, `c.var.thread`): not for
   * apps. Kept in the type declarations, so that they do not offer a constructor without arguments.
   * @hidden
   */
  constructor(
    id: string,
    store: ThreadStore,
    snapshot: ThreadSnapshot | undefined,
    maxBytes?: number,
    options: { stateUnavailable?: boolean } = {},
  ) {
    this.id = id;
    this.store = store;
    this.stateUnavailable = options.stateUnavailable ?? false;
    // A store that could not be asked may hold it: only a thread known to be absent is not.
    this.inStore = snapshot !== undefined || this.stateUnavailable;
    const loaded = snapshot ?? { state: {}, metadata: {} };
    this.storedMetadata = loaded.metadata;
    this.state = new ThreadState(id, () => Promise.resolve(loaded), maxBytes);
  }

  /** A copy of the thread's metadata. */
  async getMetadata(): Promise<Record<string, JsonValue>> {
    return { ...this.currentMetadata() };
  }

  /**
   * Replaces the thread's metadata whole. Values must be JSON; entries whose value is
   * `undefined` are dropped (as `JSON.stringify` drops them). Strings, numbers and
   * booleans also appear as `session.thread_metadata.<key>` on each session's root span.
   * Keep it to non-sensitive values or opaque identifiers.
   * @throws {TypeError} when `metadata` is not a plain object or a value is not JSON.
   */
  async setMetadata(metadata: Record<string, unknown>): Promise<void> {
    this.metadata = toJsonMetadata(metadata);
    this.metadataChanged = true;
  }

  /**
   * Ends the thread now: its state and metadata are gone, and `destroyed` listeners are told.
   * The next turn is in a new thread (the response carries its token); the built-in stores
   * remember the destroyed ID for one TTL, so that no old token brings it back.
   */
  async destroy(): Promise<void> {
    this.destroyedHere = true;
    await this.store.destroy(this.id);
    this.notifyGone('destroyed');
  }

  /** Whether `destroy()` was called on this object (the session answers with a new thread then). @internal */
  get destroyed(): boolean {
    return this.destroyedHere;
  }

  /** Calls `listener` when this thread is destroyed or expires (seen by this process). */
  addEventListener(type: 'destroyed', listener: (event: ThreadDestroyedEvent) => void): void {
    this.listeners.add(type, listener);
    watchThread(this);
  }

  /** Removes a listener added by `addEventListener`. */
  removeEventListener(type: 'destroyed', listener: (event: ThreadDestroyedEvent) => void): void {
    this.listeners.remove(type, listener);
  }

  /**
   * The user of the conversation, from its metadata's `userId` (the key the guide uses): a
   * string or a number, as a string. @internal
   */
  get userId(): string | undefined {
    const userId = this.currentMetadata().userId;
    return typeof userId === 'string' || typeof userId === 'number' ? String(userId) : undefined;
  }

  /** The metadata as it will be saved. @internal */
  currentMetadata(): Record<string, JsonValue> {
    return this.metadata ?? this.storedMetadata;
  }

  /**
   * Whether the store may hold this thread: `false` only for a thread this session made or
   * found absent and has not handed any change to the store since. Renewing the expiry of
   * such a thread would find nothing to renew. @internal
   */
  get mayBeStored(): boolean {
    return this.inStore;
  }

  /** What this session changed, for the store; resets it. @internal */
  takeChanges(): ThreadChanges {
    this.inStore = true;
    const changes: ThreadChanges = this.state.takeChanges();
    if (this.metadataChanged && this.metadata) changes.metadata = this.metadata;
    this.metadataChanged = false;
    return changes;
  }

  /** Whether anything changed since the last `takeChanges`. @internal */
  get dirty(): boolean {
    return this.metadataChanged || this.state.dirty;
  }

  /** @internal */
  notifyGone(reason: 'destroyed' | 'expired'): void {
    if (this.gone) return;
    this.gone = true;
    this.listeners.fire('destroyed', { threadId: this.id, reason });
    unwatchThread(this);
  }
}

// Threads with listeners, by ID, so that a store's expiry reaches them.
const watched = new Map<string, Set<Thread>>();
const subscribedStores = new WeakSet<ThreadStore>();

function watchThread(thread: Thread): void {
  const store = thread.store;
  if (!subscribedStores.has(store) && store.onGone) {
    subscribedStores.add(store);
    store.onGone((threadId, reason) => {
      for (const each of watched.get(threadId) ?? []) each.notifyGone(reason);
    });
  }
  let set = watched.get(thread.id);
  if (!set) watched.set(thread.id, (set = new Set()));
  set.add(thread);
}

function unwatchThread(thread: Thread): void {
  const set = watched.get(thread.id);
  set?.delete(thread);
  if (set?.size === 0) watched.delete(thread.id);
}
