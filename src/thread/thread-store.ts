/** A JSON value, the only kind thread state and metadata hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a store holds for one live thread. */
export interface ThreadSnapshot {
  /** Thread state entries, by key. */
  state: Record<string, JsonValue>;
  /** Thread metadata (replaced whole by `setMetadata`). */
  metadata: Record<string, JsonValue>;
  /**
   * `true` when the thread was destroyed less than a TTL ago (state and metadata are then
   * empty): its ID is not to be used again. A store that keeps no record of destroyed
   * threads answers `undefined` instead.
   */
  destroyed?: boolean;
}

/**
 * A state key changed from its stored value (`push`, `update`): the store applies it to the
 * value it holds when it saves, atomically with the rest of the save, so that concurrent
 * sessions of one thread (in any process) all keep their changes.
 */
export interface StateUpdate {
  /** The value the session read before its first update of the key (`undefined`: none). */
  readonly from: JsonValue | undefined;
  /**
   * The new value from the stored one; `undefined` removes the key. Pure: a store may call it
   * more than once (Redis compares and retries), and any error it throws refuses the save.
   */
  readonly apply: (stored: JsonValue | undefined) => JsonValue | undefined;
}

/** What one session changed in its thread; applied key by key, so concurrent sessions
 * that change different keys both keep their writes (same key: last writer wins, except
 * for `updates`, which are applied to the stored value). */
export interface ThreadChanges {
  /** When true, every state key is removed before `set` is applied. */
  cleared: boolean;
  /**
   * State keys set, with their new values. A key of `updates` is here too, with the value the
   * session computed from what it loaded, for a store that does not apply `updates` (last
   * writer wins); a store that applies them ignores it here.
   */
  set: Record<string, JsonValue>;
  /** State keys removed. */
  deleted: string[];
  /** New metadata, replacing the old whole; absent when unchanged. */
  metadata?: Record<string, JsonValue>;
  /** State keys to change from their stored value at save time (never with `cleared`). */
  updates?: Record<string, StateUpdate>;
}

/**
 * Where threads live between sessions. Every thread expires `ttlMs` after its last
 * activity (a load, save or touch); an expired thread is gone, as if never seen. The
 * built-in stores may leave a thread renewed less than a tenth of the TTL ago (at most a
 * minute) as it is, so it may expire that much earlier.
 */
export interface ThreadStore {
  /**
   * How long a thread lives after its last activity, in ms. The store owns it: the thread
   * cookie lives as long, and a thread token younger than it keeps its thread's ID. A store
   * without it (or with one that is not a positive, finite number) is taken to keep threads
   * one hour ({@link DEFAULT_THREAD_TTL_MS}).
   */
  readonly ttlMs?: number;
  /**
   * The thread's state and metadata, or `undefined` when unknown or expired (or, from a store
   * that records destruction, a snapshot marked `destroyed`). Marks activity.
   */
  load(threadId: string): Promise<ThreadSnapshot | undefined>;
  /**
   * Applies one session's changes and marks activity, creating the thread if needed (a store
   * that records destruction drops changes to a thread destroyed less than a TTL ago).
   */
  save(threadId: string, changes: ThreadChanges): Promise<void>;
  /** Marks activity of existing threads, in one batch; unknown threads are ignored. */
  touch(threadIds: readonly string[]): Promise<void>;
  /** Removes the thread (the built-in stores remember it was destroyed, for one TTL). Resolves whether it existed. */
  destroy(threadId: string): Promise<boolean>;
  /** Calls `listener` with the ID of every thread that this store sees expire or be destroyed. */
  onGone?(listener: (threadId: string, reason: 'expired' | 'destroyed') => void): void;
  /** Releases timers and connections. Safe to call twice. */
  close(): Promise<void>;
}

/** One hour: how long a thread lives after its last activity, unless configured. */
export const DEFAULT_THREAD_TTL_MS = 60 * 60 * 1000;

/** How long `store` keeps a thread after its last activity: its `ttlMs`, else one hour. @internal */
export function threadTtlOf(store: ThreadStore): number {
  const { ttlMs } = store;
  return typeof ttlMs === 'number' && Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : DEFAULT_THREAD_TTL_MS;
}
