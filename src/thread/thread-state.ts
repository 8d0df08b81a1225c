import { assertThreadSize, DEFAULT_MAX_THREAD_BYTES, stateLabel, threadByteSize, toJsonValue } from './json-state.js';
import type { JsonValue, ThreadChanges, ThreadSnapshot } from './thread-store.js';

/**
 * A thread's state as one session sees it: read through `load` at most once (today the
 * session opens with the snapshot already loaded, so `load` only hands it over), and
 * written back at the end of the session as the keys that changed.
 */
export class ThreadState {
  private snapshot: ThreadSnapshot | undefined;
  private loading: Promise<ThreadSnapshot> | undefined;
  private changed = new Set<string>();
  private deleted = new Set<string>();
  private cleared = false;

  /** @internal */
  constructor(
    private readonly threadId: string,
    private readonly load: () => Promise<ThreadSnapshot>,
    private readonly maxBytes: number = DEFAULT_MAX_THREAD_BYTES,
  ) {}

  /** The value under `key`, or `undefined`. */
  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    return (await this.entries_())[key] as T | undefined;
  }

  /**
   * Sets `key` to a JSON value, stored as `JSON.stringify` would write it (`undefined`
   * inside objects dropped, inside arrays `null`); `set(key, undefined)` deletes the key.
   * The store checks the size cap again when the session saves, against the stored thread.
   * @throws {TypeError} when the value is not JSON (functions, cycles, BigInt, nesting deeper than 64, …).
   * @throws {ThreadTooLargeError} (a `RangeError`) when the thread would grow above its size cap.
   */
  async set(key: string, value: unknown): Promise<void> {
    if (typeof key !== 'string' || key === '__proto__')
      throw new TypeError('thread state keys must be strings other than "__proto__"');
    if (value === undefined) {
      await this.delete(key);
      return;
    }
    const json = toJsonValue(stateLabel(key), value);
    const snapshot = await this.loaded();
    const had = Object.prototype.hasOwnProperty.call(snapshot.state, key);
    const previous = snapshot.state[key];
    snapshot.state[key] = json;
    try {
      assertThreadSize(this.threadId, threadByteSize(snapshot), this.maxBytes);
    } catch (error) {
      if (had) snapshot.state[key] = previous as JsonValue;
      else delete snapshot.state[key];
      throw error;
    }
    this.changed.add(key);
    this.deleted.delete(key);
  }

  /** Whether `key` has a value. */
  async has(key: string): Promise<boolean> {
    return Object.prototype.hasOwnProperty.call(await this.entries_(), key);
  }

  /** Removes `key`. Resolves whether it was there. */
  async delete(key: string): Promise<boolean> {
    const state = await this.entries_();
    if (!Object.prototype.hasOwnProperty.call(state, key)) return false;
    delete state[key];
    this.changed.delete(key);
    this.deleted.add(key);
    return true;
  }

  /** Removes every key. */
  async clear(): Promise<void> {
    const snapshot = await this.loaded();
    snapshot.state = {};
    this.cleared = true;
    this.changed.clear();
    this.deleted.clear();
  }

  /** The keys. */
  async keys(): Promise<string[]> {
    return Object.keys(await this.entries_());
  }

  /** The values. */
  async values(): Promise<JsonValue[]> {
    return Object.values(await this.entries_());
  }

  /** The `[key, value]` pairs. */
  async entries(): Promise<Array<[string, JsonValue]>> {
    return Object.entries(await this.entries_());
  }

  /** How many keys there are. */
  async size(): Promise<number> {
    return Object.keys(await this.entries_()).length;
  }

  /**
   * Appends `value` to the array under `key` (made if missing), keeping only the newest
   * `maxRecords` entries when given: for chat history and the like.
   */
  async push(key: string, value: unknown, maxRecords?: number): Promise<void> {
    const current = await this.get(key);
    const list = Array.isArray(current) ? [...current, value] : [value];
    await this.set(key, maxRecords !== undefined && maxRecords >= 0 ? list.slice(-maxRecords) : list);
  }

  /** Whether anything was changed in this session. @internal */
  get dirty(): boolean {
    return this.cleared || this.changed.size > 0 || this.deleted.size > 0;
  }

  /** The changes made since the last call, for the store; resets them. @internal */
  takeChanges(): Omit<ThreadChanges, 'metadata'> {
    const state = this.snapshot?.state ?? {};
    const set: Record<string, JsonValue> = {};
    for (const key of this.changed)
      if (Object.prototype.hasOwnProperty.call(state, key)) set[key] = state[key] as JsonValue;
    const changes = { cleared: this.cleared, set, deleted: [...this.deleted] };
    this.changed = new Set();
    this.deleted = new Set();
    this.cleared = false;
    return changes;
  }

  /** The snapshot, loading it on first use. @internal */
  loaded(): Promise<ThreadSnapshot> {
    if (this.snapshot) return Promise.resolve(this.snapshot);
    return (this.loading ??= this.load().then((snapshot) => (this.snapshot = snapshot)));
  }

  private async entries_(): Promise<Record<string, JsonValue>> {
    return (await this.loaded()).state;
  }
}
