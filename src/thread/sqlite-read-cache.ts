import type { SqlValue } from './node-sqlite.js';
import type { JsonValue, ThreadSnapshot } from './thread-store.js';

/** What the file held for a thread, as JSON texts: its state by key, its metadata and expiry. */
export interface StoredThread {
  readonly state: ReadonlyMap<string, string>;
  readonly metadata: string;
  readonly expiresAt: number;
}

/** No row and no tombstone: a thread never written (or purged), and not destroyed. */
export const ABSENT = 'absent';

type Entry = StoredThread | typeof ABSENT;

/** Most threads remembered. */
const MAX_ENTRIES = 4096;
/** Most characters of JSON text (and keys) remembered in all; a thread of more than an eighth of it is not kept. */
const MAX_CHARACTERS = 4 * 1024 * 1024;

/**
 * The SQLite store's memory of the threads this process has loaded (and of what it wrote to
 * them since), so that their next turn's load and save need no read of the file. It is right
 * only while no other connection has written to the file: SQLite's `data_version`, asked at
 * each batch, changes when one has, and the cache is then emptied whole (a second process on
 * the file simply makes it miss). Bounded in threads and characters; the least recently used go
 * first. Its entries are never changed in place: an update replaces the entry. @internal
 */
export class SqliteReadCache {
  /** Each thread's entry with its size, counted once when it goes in. */
  private readonly entries = new Map<string, { readonly entry: Entry; readonly size: number }>();
  private characters = 0;
  private version: SqlValue | undefined;

  /** Empties the cache unless `version` (the connection's `data_version`) is the one its entries were read at. */
  validate(version: SqlValue | undefined): void {
    if (version === this.version) return;
    this.clear();
    this.version = version;
  }

  /** How many threads it holds. */
  get size(): number {
    return this.entries.size;
  }

  /** The thread as last seen; it goes last in the eviction order. */
  get(threadId: string): Entry | undefined {
    const held = this.entries.get(threadId);
    if (held !== undefined && this.entries.size > 1) {
      this.entries.delete(threadId);
      this.entries.set(threadId, held);
    }
    return held?.entry;
  }

  /** The thread as last seen, leaving the eviction order alone. */
  peek(threadId: string): Entry | undefined {
    return this.entries.get(threadId)?.entry;
  }

  /** Remembers what the file holds for a thread now (inside the transaction that read or wrote it). */
  set(threadId: string, entry: Entry): void {
    this.forget(threadId);
    const size = sizeOf(threadId, entry);
    if (size > MAX_CHARACTERS / 8) return;
    this.entries.set(threadId, { entry, size });
    this.characters += size;
    while (this.entries.size > MAX_ENTRIES || this.characters > MAX_CHARACTERS) {
      const oldest = this.entries.keys().next().value as string;
      this.forget(oldest);
    }
  }

  /** Forgets a thread: its next load reads the file. */
  forget(threadId: string): void {
    const held = this.entries.get(threadId);
    if (held === undefined) return;
    this.entries.delete(threadId);
    this.characters -= held.size;
  }

  clear(): void {
    this.entries.clear();
    this.characters = 0;
  }
}

/** A stored thread as a load answers it: fresh objects, parsed from the texts. */
export function snapshotOf(stored: StoredThread): ThreadSnapshot {
  // fromEntries defines own properties: a key named "__proto__" stays a plain key.
  const state = Object.fromEntries([...stored.state].map(([key, text]) => [key, JSON.parse(text) as JsonValue]));
  return { state, metadata: JSON.parse(stored.metadata) as Record<string, JsonValue> };
}

function sizeOf(threadId: string, entry: Entry): number {
  if (entry === ABSENT) return threadId.length;
  let size = threadId.length + entry.metadata.length;
  for (const [key, text] of entry.state) size += key.length + text.length;
  return size;
}
