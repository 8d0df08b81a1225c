import { assertThreadSize, DEFAULT_MAX_THREAD_BYTES, stateLabel, threadByteSize, toJsonValue } from './json-state.js';
import type { JsonValue, StateUpdate, ThreadChanges, ThreadSnapshot } from './thread-store.js';

/**
 * A thread's state as one session sees it: read through `load` at most once (today the
 * session opens with the snapshot already loaded, so `load` only hands it over), and
 * written back at the end of the session as the keys that changed.
 */
export class ThreadState {
  private snapshot: ThreadSnapshot | undefined;
  private loading: Promise<ThreadSnapshot> | undefined;
  /** This session's writes, made at the first one: most sessions write none. */
  private edits: Edits | undefined;
  private cleared = false;

  /**
   * Made by its thread (`thread.state`): not for apps. Kept in the type declarations, so that
   * they do not offer a constructor without arguments.
   * @hidden
   */
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
    checkKey(key);
    if (value === undefined) {
      await this.delete(key);
      return;
    }
    const json = toJsonValue(stateLabel(key), value);
    this.putWithinCap(await this.loaded(), key, json);
    this.wroteOutright(key, true);
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
    this.wroteOutright(key, false);
    return true;
  }

  /** Removes every key. */
  async clear(): Promise<void> {
    const snapshot = await this.loaded();
    snapshot.state = {};
    this.cleared = true;
    this.edits = undefined;
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
   * Appends `value` to the array under `key` (made if missing; a value that is not an array is
   * replaced; `undefined` is stored as `null`, as `JSON.stringify` writes it in an array), keeping only the newest `maxRecords` entries when given: for chat history and
   * the like. Atomic: the store appends to what it holds when the session saves, so
   * concurrent turns of one thread (two tabs, retries, parallel tool calls, other processes)
   * all keep their entries.
   * @throws {TypeError} when `value` is not JSON.
   * @throws {ThreadTooLargeError} when the thread would grow above its size cap.
   */
  async push(key: string, value: unknown, maxRecords?: number): Promise<void> {
    // As in any JSON array, an entry that is `undefined` (an optional field left out) is `null`.
    const entry = value === undefined ? null : toJsonValue(`${stateLabel(key)} entry`, value);
    const max = maxRecords !== undefined && maxRecords >= 0 ? Math.floor(maxRecords) : undefined;
    // Stored values are JSON already, and appending copies the list: no clone, no check again.
    await this.applyUpdate(key, (current) => appendBounded(current, entry, max));
  }

  /**
   * Changes `key` from its current value: `change` gets the value (or `undefined`) and
   * answers the new one (`undefined` removes the key). Atomic: `change` runs now on what
   * this session sees, and again on the stored value when the session saves, inside the
   * store's write (on Redis, as many times as other writers got in between), so concurrent
   * turns of one thread in any process never lose each other's changes. Keep `change`
   * pure: no I/O, the same answer for the same input; it gets its own copy of the value.
   * A `set`, `delete` or `clear` of the key in the same session makes its value absolute
   * again (the last such write wins, as for `set`).
   * @example
   * await thread.state.update('visits', (n) => (typeof n === 'number' ? n + 1 : 1));
   * @throws {TypeError} when the new value is not JSON.
   * @throws {ThreadTooLargeError} when the thread would grow above its size cap.
   */
  async update<T extends JsonValue = JsonValue>(
    key: string,
    change: (current: T | undefined) => T | undefined,
  ): Promise<void> {
    const label = stateLabel(key);
    await this.applyUpdate(key, (stored) => {
      const next = change(stored === undefined ? undefined : (structuredClone(stored) as T));
      return next === undefined ? undefined : toJsonValue(label, next);
    });
  }

  /** Applies `apply` to the key's value now, and records it for the store to apply again as it saves. */
  private async applyUpdate(key: string, apply: StateUpdate['apply']): Promise<void> {
    checkKey(key);
    const snapshot = await this.loaded();
    const current = Object.prototype.hasOwnProperty.call(snapshot.state, key) ? snapshot.state[key] : undefined;
    const next = apply(current);
    if (next === undefined) delete snapshot.state[key];
    else this.putWithinCap(snapshot, key, next);
    const edits = (this.edits ??= new Edits());
    if (this.cleared || edits.changed.has(key) || edits.deleted.has(key)) {
      // This session already wrote the key outright: the new value is as absolute as that write.
      this.wroteOutright(key, next !== undefined);
      return;
    }
    const earlier = edits.updates.get(key);
    edits.updates.set(
      key,
      earlier ? { from: earlier.from, apply: (stored) => apply(earlier.apply(stored)) } : { from: current, apply },
    );
  }

  /** Records that this session set (`kept`) or removed the key outright: the store writes this session's value, not an update. */
  private wroteOutright(key: string, kept: boolean): void {
    const edits = (this.edits ??= new Edits());
    edits.updates.delete(key);
    if (kept) {
      edits.changed.add(key);
      edits.deleted.delete(key);
    } else {
      edits.changed.delete(key);
      edits.deleted.add(key);
    }
  }

  /**
   * Puts `value` under `key` in this session's view of the thread, unless the thread would
   * then pass its size cap: then the view is left as it was and a `ThreadTooLargeError` thrown.
   */
  private putWithinCap(snapshot: ThreadSnapshot, key: string, value: JsonValue): void {
    const had = Object.prototype.hasOwnProperty.call(snapshot.state, key);
    const previous = snapshot.state[key];
    snapshot.state[key] = value;
    try {
      assertThreadSize(this.threadId, threadByteSize(snapshot), this.maxBytes);
    } catch (error) {
      if (had) snapshot.state[key] = previous as JsonValue;
      else delete snapshot.state[key];
      throw error;
    }
  }

  /** Whether anything was changed in this session. @internal */
  get dirty(): boolean {
    const { edits } = this;
    return this.cleared || (edits !== undefined && edits.changed.size + edits.deleted.size + edits.updates.size > 0);
  }

  /** The changes made since the last call, for the store; resets them. @internal */
  takeChanges(): Omit<ThreadChanges, 'metadata'> {
    const state = this.snapshot?.state ?? {};
    const edits = this.edits ?? new Edits();
    const set: Record<string, JsonValue> = {};
    // An updated key goes in `set` too, with this session's value: for a store that does not apply updates.
    for (const key of [...edits.changed, ...edits.updates.keys()])
      if (Object.prototype.hasOwnProperty.call(state, key)) set[key] = state[key] as JsonValue;
    const changes: Omit<ThreadChanges, 'metadata'> = { cleared: this.cleared, set, deleted: [...edits.deleted] };
    if (edits.updates.size > 0) changes.updates = Object.fromEntries(edits.updates);
    this.edits = undefined;
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

/** What one session wrote to a thread's state, key by key. */
class Edits {
  /** Keys set outright. */
  readonly changed = new Set<string>();
  /** Keys removed outright. */
  readonly deleted = new Set<string>();
  /** Keys changed only from their stored value (`push`, `update`): applied by the store as it saves. */
  readonly updates = new Map<string, StateUpdate>();
}

/** Refuses keys that cannot be plain keys of a state object. */
function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '__proto__')
    throw new TypeError('thread state keys must be strings other than "__proto__"');
}

/** `list` (an array, else a new one) with `entry` appended, keeping its newest `max` entries. */
function appendBounded(list: JsonValue | undefined, entry: JsonValue, max: number | undefined): JsonValue {
  const next = Array.isArray(list) ? [...list, entry] : [entry];
  return max === undefined || next.length <= max ? next : next.slice(next.length - max);
}
