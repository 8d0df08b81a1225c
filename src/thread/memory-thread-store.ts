import { systemClock, type Clock } from '../internal/clock.js';
import {
  DEFAULT_THREAD_TTL_MS,
  type JsonValue,
  type ThreadChanges,
  type ThreadSnapshot,
  type ThreadStore,
} from './thread-store.js';

/** Options of {@link MemoryThreadStore}. */
export interface MemoryThreadStoreOptions {
  /** How long a thread lives after its last activity, in ms. @default 3600000 (one hour) */
  ttlMs?: number;
  /** Where time comes from. @default Date.now */
  clock?: Clock;
  /** How often expired threads are swept, in ms. @default 60000 */
  sweepIntervalMs?: number;
}

interface StoredThread {
  state: Map<string, string>;
  metadata: string;
  lastActivity: number;
}

/**
 * A thread store inside this process: the default. Values are kept as JSON text, so a
 * load hands out copies that a session may change freely, as a shared store would.
 */
export class MemoryThreadStore implements ThreadStore {
  private readonly threads = new Map<string, StoredThread>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly listeners: Array<(threadId: string, reason: 'expired' | 'destroyed') => void> = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: MemoryThreadStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_THREAD_TTL_MS;
    this.clock = options.clock ?? systemClock;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  async load(threadId: string): Promise<ThreadSnapshot | undefined> {
    const thread = this.live(threadId);
    if (!thread) return undefined;
    thread.lastActivity = this.clock();
    // fromEntries, not assignment: a key named __proto__ must stay a key.
    const state = Object.fromEntries([...thread.state].map(([key, text]) => [key, JSON.parse(text) as JsonValue]));
    return { state, metadata: JSON.parse(thread.metadata) as Record<string, JsonValue> };
  }

  async save(threadId: string, changes: ThreadChanges): Promise<void> {
    let thread = this.live(threadId);
    if (!thread) {
      thread = { state: new Map(), metadata: '{}', lastActivity: 0 };
      this.threads.set(threadId, thread);
    }
    if (changes.cleared) thread.state.clear();
    for (const key of changes.deleted) thread.state.delete(key);
    for (const [key, value] of Object.entries(changes.set)) thread.state.set(key, JSON.stringify(value));
    if (changes.metadata) thread.metadata = JSON.stringify(changes.metadata);
    thread.lastActivity = this.clock();
  }

  async touch(threadIds: readonly string[]): Promise<void> {
    const now = this.clock();
    for (const threadId of threadIds) {
      const thread = this.live(threadId);
      if (thread) thread.lastActivity = now;
    }
  }

  async destroy(threadId: string): Promise<boolean> {
    const existed = this.live(threadId) !== undefined;
    this.threads.delete(threadId);
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
    for (const threadId of this.threads.keys()) this.live(threadId);
  }

  /** The thread if it is alive; an expired one is removed and reported. */
  private live(threadId: string): StoredThread | undefined {
    const thread = this.threads.get(threadId);
    if (thread && this.clock() - thread.lastActivity >= this.ttlMs) {
      this.threads.delete(threadId);
      this.emit(threadId, 'expired');
      return undefined;
    }
    return thread;
  }

  private emit(threadId: string, reason: 'expired' | 'destroyed'): void {
    for (const listener of this.listeners) listener(threadId, reason);
  }
}
