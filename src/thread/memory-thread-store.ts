import { systemClock, type Clock } from '../internal/clock.js';
import {
  byteLengthOf,
  DEFAULT_MAX_THREAD_BYTES,
  encodeJsonValue,
  entryByteSize,
  stateLabel,
  updatedText,
} from './json-state.js';
import { ThreadTooLargeError } from './thread-too-large-error.js';
import {
  DEFAULT_THREAD_TTL_MS,
  type JsonValue,
  type ThreadChanges,
  type ThreadSnapshot,
  type ThreadStore,
} from './thread-store.js';
import { positiveInteger } from '../internal/positive.js';

/** Options of {@link MemoryThreadStore}. */
export interface MemoryThreadStoreOptions {
  /** How long a thread lives after its last activity, in ms. @default 3600000 (one hour) */
  ttlMs?: number;
  /** Where time comes from. @default Date.now */
  clock?: Clock;
  /** How often expired threads are swept, in ms. @default 60000 */
  sweepIntervalMs?: number;
  /**
   * Most threads kept at once: when a new thread would pass it, the least recently active
   * thread is dropped and reported to `onGone` as `expired`.
   * @default 10000
   */
  maxThreads?: number;
  /**
   * Largest size of one stored thread (state keys and JSON texts plus metadata JSON, in
   * UTF-8 bytes): a `save` that would pass it is refused whole with a `ThreadTooLargeError`.
   * @default 1048576 (1 MiB)
   */
  maxThreadBytes?: number;
}

interface StoredThread {
  state: Map<string, string>;
  metadata: string;
  bytes: number;
  lastActivity: number;
  /** A tombstone: destroyed at `lastActivity`, kept for one TTL so that the ID is not reused. */
  destroyed?: true;
}

const EMPTY_METADATA = '{}';

/**
 * A thread store inside this process: for tests and single-process apps that need no
 * persistence. Values are kept as JSON text, so a load hands out copies that a session may
 * change freely, as a shared store would. Bounded: at most `maxThreads` threads of at most
 * `maxThreadBytes` each; a thread exists only once something was written to it.
 */
export class MemoryThreadStore implements ThreadStore {
  // Kept in order of last activity (oldest first): a thread is moved to the end when active.
  private readonly threads = new Map<string, StoredThread>();
  /** How long a thread lives after its last activity, in ms (the `ttlMs` option): also the thread cookie's lifetime. */
  readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly maxThreads: number;
  private readonly maxThreadBytes: number;
  private readonly listeners: Array<(threadId: string, reason: 'expired' | 'destroyed') => void> = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryThreadStoreOptions = {}) {
    this.ttlMs = positiveInteger('MemoryThreadStore: ttlMs', options.ttlMs ?? DEFAULT_THREAD_TTL_MS);
    this.clock = options.clock ?? systemClock;
    this.maxThreads = positiveInteger('MemoryThreadStore: maxThreads', options.maxThreads ?? 10_000);
    this.maxThreadBytes = positiveInteger(
      'MemoryThreadStore: maxThreadBytes',
      options.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES,
    );
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  /** How many threads are held now (expired ones not yet swept, and destroyed ones remembered, included). */
  get size(): number {
    return this.threads.size;
  }

  async load(threadId: string): Promise<ThreadSnapshot | undefined> {
    const thread = this.live(threadId);
    if (!thread) return undefined;
    if (thread.destroyed) return { state: {}, metadata: {}, destroyed: true };
    this.markActive(threadId, thread);
    // fromEntries, not assignment: a key named __proto__ must stay a key.
    const state = Object.fromEntries([...thread.state].map(([key, text]) => [key, JSON.parse(text) as JsonValue]));
    return { state, metadata: JSON.parse(thread.metadata) as Record<string, JsonValue> };
  }

  /**
   * Applies the changes at once (no other save interleaves; `updates` apply to the stored
   * values). Creates the thread only when
   * the changes write something (a state key or metadata). Refuses the whole change with a
   * {@link ThreadTooLargeError} when the thread would pass `maxThreadBytes`.
   */
  async save(threadId: string, changes: ThreadChanges): Promise<void> {
    const updates = Object.entries(changes.updates ?? {});
    const texts = new Map<string, string>();
    for (const [key, value] of Object.entries(changes.set))
      if (!changes.updates?.[key]) texts.set(key, encodeJsonValue(stateLabel(key), value));
    const metadataText = changes.metadata ? encodeJsonValue('thread metadata', changes.metadata) : undefined;

    const existing = this.live(threadId);
    if (existing?.destroyed) return; // destroyed less than a TTL ago: nothing more is kept
    const deleted = new Set(changes.deleted);
    // Updates apply to the stored values now: nothing can interleave in this process.
    for (const [key, update] of updates) {
      const text = updatedText(key, update, changes.cleared ? undefined : existing?.state.get(key));
      if (text === undefined) deleted.add(key);
      else texts.set(key, text);
    }
    if (!existing && texts.size === 0 && metadataText === undefined) return; // nothing to store
    const thread = existing ?? {
      state: new Map<string, string>(),
      metadata: EMPTY_METADATA,
      bytes: 2,
      lastActivity: 0,
    };

    // The size after the change, computed before anything is written.
    let bytes = thread.bytes;
    if (changes.cleared) bytes = byteLengthOf(thread.metadata);
    const sizeOf = (key: string): number => {
      const text = changes.cleared ? undefined : thread.state.get(key);
      return text === undefined ? 0 : entryByteSize(key, text);
    };
    for (const key of deleted) if (!texts.has(key)) bytes -= sizeOf(key);
    for (const [key, text] of texts) bytes += entryByteSize(key, text) - sizeOf(key);
    if (metadataText !== undefined) bytes += byteLengthOf(metadataText) - byteLengthOf(thread.metadata);
    if (bytes > this.maxThreadBytes) throw new ThreadTooLargeError(threadId, bytes, this.maxThreadBytes);

    if (changes.cleared) thread.state.clear();
    for (const key of deleted) thread.state.delete(key);
    for (const [key, text] of texts) thread.state.set(key, text);
    if (metadataText !== undefined) thread.metadata = metadataText;
    thread.bytes = bytes;
    if (!existing) this.makeRoom();
    this.markActive(threadId, thread);
  }

  async touch(threadIds: readonly string[]): Promise<void> {
    for (const threadId of threadIds) {
      const thread = this.live(threadId);
      if (thread && !thread.destroyed) this.markActive(threadId, thread);
    }
  }

  async destroy(threadId: string): Promise<boolean> {
    const thread = this.live(threadId);
    const existed = thread !== undefined && !thread.destroyed;
    if (!thread) this.makeRoom();
    if (!thread?.destroyed) {
      const tombstone: StoredThread = {
        state: new Map(),
        metadata: EMPTY_METADATA,
        bytes: 0,
        lastActivity: 0,
        destroyed: true,
      };
      this.markActive(threadId, tombstone);
    }
    if (existed) this.emit(threadId, 'destroyed');
    return existed;
  }

  onGone(listener: (threadId: string, reason: 'expired' | 'destroyed') => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Removes every expired thread now (also done on a timer). */
  sweep(): void {
    // Oldest activity first: stop at the first live thread, the rest are younger.
    for (const threadId of this.threads.keys()) if (this.live(threadId)) break;
  }

  /** The thread (or tombstone) if it is alive; an expired one is removed, and a thread reported. */
  private live(threadId: string): StoredThread | undefined {
    const thread = this.threads.get(threadId);
    if (thread && this.clock() - thread.lastActivity >= this.ttlMs) {
      this.threads.delete(threadId);
      if (!thread.destroyed) this.emit(threadId, 'expired');
      return undefined;
    }
    return thread;
  }

  /** Marks activity now and moves the thread to the young end of the order. */
  private markActive(threadId: string, thread: StoredThread): void {
    thread.lastActivity = this.clock();
    this.threads.delete(threadId);
    this.threads.set(threadId, thread);
  }

  /** Before a new thread is added: drops the least recently active ones past `maxThreads - 1`. */
  private makeRoom(): void {
    this.sweep();
    for (const [threadId, thread] of this.threads) {
      if (this.threads.size < this.maxThreads) return;
      this.threads.delete(threadId);
      if (!thread.destroyed) this.emit(threadId, 'expired');
    }
  }

  private emit(threadId: string, reason: 'expired' | 'destroyed'): void {
    for (const listener of this.listeners) listener(threadId, reason);
  }
}
