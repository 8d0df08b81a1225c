import { closeSync, openSync } from 'node:fs';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../internal/private-dir.js';
import { context, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../internal/clock.js';
import {
  byteLengthOf,
  DEFAULT_MAX_THREAD_BYTES,
  encodeJsonValue,
  entryByteSize,
  stateLabel,
  updatedText,
} from './json-state.js';
import { openSqliteDatabase, type SqliteDatabase, type SqliteStatement } from './node-sqlite.js';
import { ABSENT, snapshotOf, SqliteReadCache, type StoredThread } from './sqlite-read-cache.js';
import { ThreadStoreUnavailableError } from './store-unavailable-error.js';
import { ThreadTooLargeError } from './thread-too-large-error.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, DEFAULT_AUTOCHECKPOINT_PAGES, WalCheckpointer } from './wal-checkpointer.js';
import { DEFAULT_THREAD_TTL_MS, type ThreadChanges, type ThreadSnapshot, type ThreadStore } from './thread-store.js';
import { renewalSlackMs } from './recent-renewals.js';
import { positiveInteger } from '../internal/positive.js';
import { asError } from '../internal/as-error.js';
import { guard } from '../internal/guard.js';

/** Options of {@link SqliteThreadStore}. */
export interface SqliteThreadStoreOptions {
  /** Folder of the database file, made if missing (owner-only). @default '.otel-sessions' (the journal folder) */
  dir?: string;
  /** The database file; overrides `dir`. @default '<dir>/threads.sqlite' */
  path?: string;
  /** How long a thread lives after its last activity, in ms. @default 3600000 (one hour) */
  ttlMs?: number;
  /**
   * Largest size of one stored thread (state keys and JSON texts plus metadata JSON, in
   * UTF-8 bytes), checked inside the transaction that writes: a change that would pass it
   * is rolled back whole with a `ThreadTooLargeError`, whatever other processes write.
   * @default 1048576 (1 MiB)
   */
  maxThreadBytes?: number;
  /**
   * How long an operation waits while another connection (another process, a backup, a
   * `VACUUM`) holds the write lock, in ms: it tries again on a timer meanwhile, so the event
   * loop serves other requests; past it, the operation fails as in any store outage. Loads only
   * read, and do not wait for the lock. @default 5000
   */
  busyTimeoutMs?: number;
  /** How often expired threads are purged from the file, in ms. @default 60000 */
  purgeIntervalMs?: number;
  /**
   * Checkpoint the WAL (copy its pages into the database file, with their disk syncs) from a
   * worker thread, so that those syncs do not hold the event loop; `false` checkpoints on the
   * store's own connection, as SQLite does by default (every 1,000 pages written).
   * @default true
   */
  checkpointInWorker?: boolean;
  /** Where time comes from. @default Date.now */
  clock?: Clock;
}

type GoneListener = (threadId: string, reason: 'expired' | 'destroyed') => void;

/** The journal folder's default name, where the database file goes unless told otherwise. */
const DEFAULT_DIR = '.otel-sessions';
/** Longest pause between two tries of a write that met another connection's lock, in ms. */
const MAX_LOCK_PAUSE_MS = 50;
/** Expired threads removed per purge transaction, so that the write lock is held briefly. */
const PURGE_BATCH = 500;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS threads (
  thread_id TEXT PRIMARY KEY,
  metadata TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS threads_by_expiry ON threads (expires_at);
CREATE TABLE IF NOT EXISTS thread_state (
  thread_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (thread_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS destroyed_threads (
  thread_id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 1;
`;

/**
 * A thread store in a SQLite file on local disk, on Node's built-in `node:sqlite` (Node.js
 * 22.13+; no native dependency): threads survive restarts, and the processes of one host
 * that open the same file share them (WAL mode; a writer waits up to `busyTimeoutMs` for
 * another, without holding the event loop). For several hosts, use `RedisThreadStore`.
 *
 * The loads and saves asked for in one event-loop turn are run together at its end (before
 * any I/O of the next turn): the saves in one write transaction (one that fails on its own, as
 * a thread too large, is refused alone: the batch runs again, each save in a savepoint), then
 * the loads in one read transaction (no write lock), then, if some found their thread's expiry
 * last renewed more than a tenth of the TTL ago (at most a minute), its renewal in one more
 * write transaction. A busy server's requests thus share their transactions (several loads a
 * turn under load), and each caller is still answered on its own. While no other connection
 * writes to the file (SQLite's `data_version`, checked once a batch), a thread this process
 * has loaded is loaded again, and saved to, without reading the file: a cache of up to 4,096
 * threads and 4 Mi characters of JSON, emptied whole when another process writes. A
 * `destroy`, `touch`, `purge` or `close` first runs what is queued.
 * `save` renews the expiry on the same terms, and writes only the changed keys (so most saves
 * rewrite one state page, not the expiry index; concurrent sessions of one thread that change
 * different keys both keep their writes; same key: the last save wins, except for `push` and
 * `update`, applied to the stored value inside the write transaction), creates a thread only
 * when it writes something, and checks the size cap against the stored thread before it
 * commits. Expired threads are gone for every operation at once, and purged from the file on a
 * timer (`unref`ed) and when met. A destroyed thread is remembered for one TTL (loads answer
 * it `destroyed`, saves to it are dropped), so that its ID is not used again.
 * `onGone` reports the threads this store saw expire or destroyed.
 *
 * The transactions are synchronous underneath (node:sqlite has no asynchronous API): each
 * holds the event loop for the time of a few small statements, longer only while another
 * process holds the write lock. Commits are durable against a crash of the process (a SIGKILL
 * mid-write leaves the last committed state; a save resolves only once committed);
 * `synchronous = NORMAL` may lose the last commits on power loss, never corrupt the file.
 * Commits append to the WAL; a worker thread with its own connection copies the WAL into the
 * file every 250 ms (a checkpoint, with its disk syncs, which on the event loop held it for
 * milliseconds every thousand pages or so). The worker adds about 15 MiB to the process;
 * `checkpointInWorker: false` leaves checkpoints to the store's connection.
 *
 * @example
 * registerSessions({ threadStore: new SqliteThreadStore({ dir: '.otel-sessions' }) });
 */
export class SqliteThreadStore implements ThreadStore {
  /** The database file. */
  readonly path: string;
  /** How long a thread lives after its last activity, in ms (the `ttlMs` option): also the thread cookie's lifetime. */
  readonly ttlMs: number;
  /**
   * A load or save renews a thread's expiry only when it was last renewed longer ago than
   * this (a tenth of the TTL, at most a minute), so that most loads take no write lock and
   * most saves leave the thread's row alone: the session's spans renew it within a second
   * (`ThreadActivitySpanProcessor`).
   */
  private readonly renewSlackMs: number;
  private readonly maxThreadBytes: number;
  private readonly busyTimeoutMs: number;
  private readonly clock: Clock;
  private readonly db: SqliteDatabase;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly listeners: GoneListener[] = [];
  private readonly purger: NodeJS.Timeout;
  private readonly checkpointer: WalCheckpointer | undefined;
  private closed = false;
  /** Set by `close()`: no new operation is taken, those under way finish. */
  private closing = false;
  /** Batches waiting on a timer for another connection's lock; `close()` waits for them. */
  private readonly waiting = new Set<Promise<void>>();
  /** Loads and saves asked for in this event-loop turn, run together at its end. */
  private queuedLoads: QueuedLoad[] = [];
  private queuedSaves: QueuedSave[] = [];
  private turnEnd: NodeJS.Immediate | undefined;
  /** What this connection last read or wrote of recent threads, while no other connection writes. */
  private readonly cache = new SqliteReadCache();
  /** The cache was checked against the file in this batch (by its saves' transaction). */
  private cacheChecked = false;

  /**
   * Opens (or creates) the database file.
   * @throws {Error} on a Node without node:sqlite, or when the file cannot be opened.
   */
  constructor(options: SqliteThreadStoreOptions = {}) {
    this.ttlMs = positiveInteger('SqliteThreadStore: ttlMs', options.ttlMs ?? DEFAULT_THREAD_TTL_MS);
    this.renewSlackMs = renewalSlackMs(this.ttlMs);
    this.maxThreadBytes = positiveInteger(
      'SqliteThreadStore: maxThreadBytes',
      options.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES,
    );
    this.busyTimeoutMs = positiveInteger('SqliteThreadStore: busyTimeoutMs', options.busyTimeoutMs ?? 5000);
    this.clock = options.clock ?? systemClock;
    this.path = options.path ?? join(options.dir ?? DEFAULT_DIR, 'threads.sqlite');

    ensurePrivateDir(dirname(this.path));
    // Made owner-only before SQLite opens it (its -wal and -shm files take the same mode).
    closeSync(openSync(this.path, 'a', PRIVATE_FILE_MODE));
    this.db = openSqliteDatabase(this.path);
    try {
      // Opening may wait for the lock (nothing is served yet); later, SQLite answers "busy" at
      // once and the store waits on a timer instead (see writeWhenUnlocked).
      this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec('PRAGMA synchronous = NORMAL');
      this.db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
      this.db.exec('PRAGMA busy_timeout = 0');
      this.sql = prepareStatements(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    if (options.checkpointInWorker ?? true) {
      this.db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      this.checkpointer = new WalCheckpointer(this.path, (reason) => this.checkpointerFailed(reason));
    }
    this.purger = setInterval(() => this.purgeQuietly(), options.purgeIntervalMs ?? 60_000);
    this.purger.unref();
  }

  /** The thread's state and metadata, read at the end of this turn; `undefined` when it is not there or expired. */
  load(threadId: string): Promise<ThreadSnapshot | undefined> {
    if (this.closing) return Promise.reject(afterClose('load'));
    return new Promise((resolve, reject) => {
      this.queuedLoads.push({ threadId, resolve, reject });
      this.runAtTurnEnd();
    });
  }

  /**
   * Applies the changes at the end of this turn, whole or not at all. Creates the thread only
   * when the changes write something (a state key or metadata). Rolls the whole change back
   * with a {@link ThreadTooLargeError} when the thread would pass `maxThreadBytes`.
   */
  save(threadId: string, changes: ThreadChanges): Promise<void> {
    if (this.closing) return Promise.reject(afterClose('save'));
    let texts: Array<[string, string, number]>;
    let metadataText: string | undefined;
    try {
      // An updated key is written from its stored value, inside the transaction.
      texts = Object.entries(changes.set)
        .filter(([key]) => !changes.updates?.[key])
        .map(([key, value]) => {
          const text = encodeJsonValue(stateLabel(key), value);
          return [key, text, entryByteSize(key, text)];
        });
      metadataText = changes.metadata ? encodeJsonValue('thread metadata', changes.metadata) : undefined;
    } catch (error) {
      return Promise.reject(asError(error));
    }
    return new Promise((resolve, reject) => {
      this.queuedSaves.push({ threadId, changes, texts, metadataText, resolve, reject });
      this.runAtTurnEnd();
    });
  }

  /**
   * Renews live threads' expiry, in one statement, leaving out those renewed less than a tenth
   * of the TTL ago (at most a minute), as loads and saves do: a turn's save has just renewed its
   * thread, and rewriting it would cost a WAL page. Does not wait for another connection's lock
   * (the next touch renews them).
   */
  async touch(threadIds: readonly string[]): Promise<void> {
    if (threadIds.length === 0) return;
    this.runQueued();
    const { now, expiresAt } = unlessBusy(
      () =>
        this.transaction('touch', 'write', () => {
          this.validateCache();
          const now = this.clock();
          const expiresAt = now + this.ttlMs;
          this.sql.renewDue.run(expiresAt, JSON.stringify(threadIds), now, expiresAt - this.renewSlackMs);
          return { now, expiresAt };
        }),
      'touch',
    );
    // Committed: the cache renews what the statement renewed.
    for (const threadId of threadIds) {
      const cached = this.cache.peek(threadId);
      if (
        cached !== undefined &&
        cached !== ABSENT &&
        cached.expiresAt > now &&
        this.dueForRenewal(cached.expiresAt, now)
      )
        this.cache.set(threadId, { ...cached, expiresAt });
    }
  }

  async destroy(threadId: string): Promise<boolean> {
    this.runQueued();
    const { existed, expired } = await this.writeWhenUnlocked('destroy', () => {
      this.cache.forget(threadId);
      const now = this.clock();
      const row = this.sql.removeThread.get(threadId);
      if (row) this.sql.clearState.run(threadId);
      this.sql.bury.run(threadId, now + this.ttlMs);
      const existed = row !== undefined && Number(row['expires_at']) > now;
      return { existed, expired: row !== undefined && !existed };
    });
    if (existed) this.emit(threadId, 'destroyed');
    if (expired) this.emit(threadId, 'expired');
    return existed;
  }

  onGone(listener: GoneListener): void {
    this.listeners.push(listener);
  }

  /**
   * Removes every expired thread from the file now (also done on a timer); reports each to
   * `onGone`. Does not wait for another connection's lock: throws `ThreadStoreUnavailableError`.
   */
  purge(): void {
    this.runQueued();
    for (;;) {
      const ids = unlessBusy(
        () =>
          this.transaction('purge', 'write', () => {
            const ids = this.sql.expired.all(this.clock(), PURGE_BATCH).map((row) => row['thread_id'] as string);
            for (const threadId of ids) {
              this.sql.removeThread.get(threadId);
              this.sql.clearState.run(threadId);
            }
            if (ids.length < PURGE_BATCH) this.sql.forget.run(this.clock());
            return ids;
          }),
        'purge',
      );
      for (const threadId of ids) this.emit(threadId, 'expired');
      if (ids.length < PURGE_BATCH) return;
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // What was asked before close() is done, not dropped (a batch waiting for a lock waits on).
    this.runQueued();
    while (this.waiting.size > 0) await Promise.all(this.waiting);
    this.closed = true;
    clearInterval(this.purger);
    this.cache.clear();
    await this.checkpointer?.close();
    this.db.close();
  }

  /** The worker cannot checkpoint: the store's connection does it again, as SQLite does by default. */
  private checkpointerFailed(reason: string): void {
    diag.warn(`otel-sessions: SQLite thread store: WAL checkpoints run on the event loop again: ${reason}`);
    if (this.closed) return;
    guard(
      'restoring SQLite autocheckpoints',
      () => this.db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`),
      undefined,
    );
  }

  /**
   * Runs the queued loads and saves at the end of this event-loop turn, once; outside the
   * session that asked first, since the batch (and the `onGone` listeners it calls) serves
   * every session of the turn.
   */
  private runAtTurnEnd(): void {
    this.turnEnd ??= context.with(ROOT_CONTEXT, () => setImmediate(() => this.runQueued()));
  }

  /**
   * Runs what was queued: the saves in one write transaction (one too large is refused alone),
   * then the loads in one read transaction, then the renewals those loads found due in one more
   * write transaction. A batch that meets another connection's lock waits on a timer (the
   * loads, which only read, do not wait for it). Never throws: each caller is told.
   */
  private runQueued(): void {
    if (this.turnEnd !== undefined) clearImmediate(this.turnEnd);
    this.turnEnd = undefined;
    const saves = this.queuedSaves;
    const loads = this.queuedLoads;
    if (saves.length === 0 && loads.length === 0) return;
    this.queuedSaves = [];
    this.queuedLoads = [];
    this.cacheChecked = false;
    if (saves.length > 0) this.whileWaiting(this.runSaves(saves));
    if (loads.length > 0) this.runLoads(loads);
  }

  /** Keeps `close()` waiting for `work` when it did not finish at once (it met a lock). */
  private whileWaiting(work: Promise<void>): void {
    this.waiting.add(work);
    void work.finally(() => this.waiting.delete(work));
  }

  /**
   * Applies a batch of saves in one write transaction and tells each caller. Most batches hold
   * no save that fails on its own (a thread too large): they run without savepoints. When one
   * fails, the batch runs again, each save in a savepoint, so that only that one is refused.
   */
  private async runSaves(saves: readonly QueuedSave[]): Promise<void> {
    let outcomes: Array<Outcome<SaveResult>>;
    const applyAll = (apply: (save: QueuedSave) => Outcome<SaveResult>) => () => {
      // An empty cache has nothing to check (a service whose clients never come back).
      if (this.cache.size > 0) this.validateCache();
      return saves.map(apply);
    };
    // Given to the cache the moment the transaction commits: by the time this function goes on
    // (a microtask later), a load or a destroy may have changed the cache's entry already.
    const remember = (results: Array<Outcome<SaveResult>>): void => this.rememberSaves(saves, results);
    try {
      outcomes = await this.writeWhenUnlocked(
        'save',
        applyAll((save) => ({ value: this.applySave(save) })),
        remember,
      );
    } catch (error) {
      if (error instanceof ThreadStoreUnavailableError || this.closed) return rejectAll(saves, error);
      try {
        outcomes = await this.writeWhenUnlocked(
          'save',
          applyAll((save) => this.inSavepoint(() => this.applySave(save))),
          remember,
        );
      } catch (error) {
        return rejectAll(saves, error);
      }
    }
    saves.forEach((save, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) return save.reject(outcome.error);
      if (outcome.value.expired) this.emit(save.threadId, 'expired');
      save.resolve();
    });
  }

  /**
   * The cache takes what a committed batch of saves wrote, in order (a later save of the same
   * thread in the batch, which the cache could not follow, makes it forget the thread).
   */
  private rememberSaves(saves: readonly QueuedSave[], outcomes: ReadonlyArray<Outcome<SaveResult>>): void {
    saves.forEach((save, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) return;
      if (outcome.value.stored) this.cache.set(save.threadId, outcome.value.stored);
      else this.cache.forget(save.threadId);
    });
  }

  private runLoads(queued: readonly QueuedLoad[]): void {
    // Threads this process has just seen, while no other connection wrote: no read at all.
    const loads = this.answerFromCache(queued);
    if (loads.length === 0) return;
    // Most loads only read: a thread that is not there, or a live one whose expiry was
    // renewed a moment ago (by the last save or touch). Those take no write lock.
    let reads: Array<Outcome<ThreadRead>>;
    try {
      reads = this.transaction('load', 'read', () =>
        loads.map((load) => attempt(() => this.readThread(load.threadId))),
      );
    } catch (error) {
      return rejectAll(loads, error);
    }
    const due: Array<QueuedLoad & { snapshot: ThreadSnapshot | undefined }> = [];
    loads.forEach((load, i) => {
      const read = reads[i]!;
      if ('error' in read) load.reject(read.error);
      else if (read.value.stale) due.push({ ...load, snapshot: read.value.snapshot });
      else load.resolve(read.value.snapshot);
    });
    if (due.length === 0) return;
    // Expired (removed now, and reported), or live and due for renewal: one write transaction.
    let renewals: Array<{ renewed: boolean; expired: boolean }>;
    try {
      renewals = this.transaction('load', 'write', () => due.map((load) => this.renewOrRemove(load.threadId)));
    } catch (error) {
      // Another connection holds the lock: answer what was read, renewal left to the next load or touch.
      if (error instanceof StoreBusy) return due.forEach((load) => load.resolve(load.snapshot));
      return rejectAll(due, error);
    }
    due.forEach((load, i) => {
      const renewal = renewals[i]!;
      if (renewal.expired) this.emit(load.threadId, 'expired');
      load.resolve(renewal.renewed ? load.snapshot : undefined);
    });
  }

  /**
   * Answers the loads whose thread the cache holds, live and not due for renewal (or absent);
   * returns the others. The cache is emptied first if another connection wrote to the file.
   */
  private answerFromCache(loads: readonly QueuedLoad[]): readonly QueuedLoad[] {
    try {
      // Checked once a batch: its saves' transaction, just committed, checked it already.
      if (!this.cacheChecked) this.validateCache();
    } catch {
      this.cache.clear(); // the reads that follow meet the same failure, and report it
      return loads;
    }
    const now = this.clock();
    const misses: QueuedLoad[] = [];
    for (const load of loads) {
      const cached = this.cache.get(load.threadId);
      if (cached === ABSENT) load.resolve(undefined);
      else if (cached !== undefined && cached.expiresAt > now && !this.dueForRenewal(cached.expiresAt, now))
        load.resolve(snapshotOf(cached));
      else misses.push(load);
    }
    return misses;
  }

  /**
   * Empties the cache if another connection has committed to the file since it was filled.
   * Loads always ask (they fill it, at the version just read); saves need not while it is empty.
   */
  private validateCache(): void {
    this.cache.validate(this.sql.dataVersion.get()?.['data_version']);
    this.cacheChecked = true;
  }

  /**
   * Runs `body` in a write transaction; while another connection holds the write lock, tries
   * again on a timer (1 ms, doubling up to 50 ms), so the event loop goes on serving. Past
   * `busyTimeoutMs`, fails with a {@link ThreadStoreUnavailableError}, as in any outage.
   */
  private async writeWhenUnlocked<T>(what: string, body: () => T, committed?: (result: T) => void): Promise<T> {
    const since = performance.now();
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_LOCK_PAUSE_MS)) {
      try {
        return this.transaction(what, 'write', body, committed);
      } catch (error) {
        if (!(error instanceof StoreBusy)) throw error;
        const waited = performance.now() - since;
        if (waited >= this.busyTimeoutMs) throw lockedTooLong(what, waited, error);
        await sleep(Math.min(pause, this.busyTimeoutMs - waited));
      }
    }
  }

  /** What the store holds for a thread, and whether its expiry is due for renewal. Inside a transaction. */
  private readThread(threadId: string): ThreadRead {
    const now = this.clock();
    const row = this.sql.threadWithExpiry.get(threadId);
    if (!row) {
      const destroyed = this.sql.tombstone.get(threadId, now) !== undefined;
      if (destroyed) this.cache.forget(threadId);
      else this.cache.set(threadId, ABSENT);
      return { snapshot: destroyed ? { state: {}, metadata: {}, destroyed } : undefined, stale: false };
    }
    const expiresAt = Number(row['expires_at']);
    if (expiresAt <= now) {
      this.cache.forget(threadId);
      return { snapshot: undefined, stale: true };
    }
    const state = new Map(
      this.sql.stateOf.all(threadId).map((entry) => [entry['key'] as string, entry['value'] as string]),
    );
    const stored: StoredThread = { state, metadata: row['metadata'] as string, expiresAt };
    this.cache.set(threadId, stored);
    return { snapshot: snapshotOf(stored), stale: this.dueForRenewal(expiresAt, now) };
  }

  /** Renews a live thread's expiry, or removes it if expired. Inside a write transaction. */
  private renewOrRemove(threadId: string): { renewed: boolean; expired: boolean } {
    this.cache.forget(threadId); // read again next time
    const now = this.clock();
    if (this.sql.renew.get(now + this.ttlMs, threadId, now)) return { renewed: true, expired: false };
    return { renewed: false, expired: this.removeIfExpired(threadId, now) };
  }

  /**
   * Writes one save's changes: whether it found the thread expired, and the thread as now
   * stored when the cache held it. Inside a write transaction.
   */
  private applySave({ threadId, changes, texts, metadataText }: QueuedSave): SaveResult {
    const cached = this.cache.peek(threadId);
    this.cache.forget(threadId); // until the commit
    const now = this.clock();
    const row = cached === undefined ? this.readForSave(threadId) : cached === ABSENT ? undefined : cachedRow(cached);
    const live = row !== undefined && row.expiresAt > now;
    const expired = row !== undefined && !live && this.removeIfExpired(threadId, now);
    const updated = applyUpdates(changes, live && !changes.cleared ? row.valueOf : () => undefined);
    const writes = texts.length > 0 || updated.texts.length > 0 || metadataText !== undefined;
    if (!live && !writes) return { expired, stored: undefined };
    // Destroyed less than a TTL ago: nothing more is kept for it (the cache holds no such thread).
    if (!live && cached === undefined && this.sql.tombstone.get(threadId, now) !== undefined)
      return { expired, stored: undefined };
    const deleted = [...changes.deleted, ...updated.deleted];
    const written = [...texts, ...updated.texts];
    if (changes.cleared) this.sql.clearState.run(threadId);
    for (const key of deleted) this.sql.deleteKey.run(threadId, key);
    let writtenBytes = 0;
    for (const [key, text, bytes] of written) {
      this.sql.setKey.run(threadId, key, text, bytes);
      writtenBytes += bytes;
    }
    const metadata = metadataText ?? (live ? row.metadata : '{}');
    const metadataBytes = byteLengthOf(metadata);
    // What was stored plus what was written bounds the new size (a rewritten or deleted key
    // only takes bytes away): the exact size is summed only when that bound passes the cap.
    const storedBytes = live && !changes.cleared ? row.bytes : 0;
    if (storedBytes + writtenBytes + metadataBytes > this.maxThreadBytes) {
      const bytes = Number(this.sql.stateBytes.get(threadId)?.['bytes'] ?? 0) + metadataBytes;
      // Thrown inside the transaction (or the savepoint): this save is rolled back whole.
      if (bytes > this.maxThreadBytes) throw new ThreadTooLargeError(threadId, bytes, this.maxThreadBytes);
    }
    // The thread's row is written when it is new, its metadata changed, or its expiry is due
    // for renewal (as a load renews it): most saves write state rows only, not the expiry index.
    const writesRow = !live || metadataText !== undefined || this.dueForRenewal(row.expiresAt, now);
    const expiresAt = writesRow ? now + this.ttlMs : row.expiresAt;
    if (writesRow) this.sql.upsertThread.run(threadId, metadata, expiresAt);
    // Kept in the cache only if it was there: a thread goes in when a load reads it, not when
    // made, since most threads of clients that keep no token never come back, and a cache
    // churned by each new thread costs more (in garbage collection) than it saves.
    if (!live || row.state === undefined) return { expired, stored: undefined };
    const before = changes.cleared ? new Map<string, string>() : row.state;
    const state = new Map(before);
    for (const key of deleted) state.delete(key);
    for (const [key, text] of written) state.set(key, text);
    return { expired, stored: { state, metadata, expiresAt } };
  }

  /** The thread's row as a save needs it, read from the file (inside the write transaction). */
  private readForSave(threadId: string): RowForSave | undefined {
    const row = this.sql.threadForSave.get(threadId);
    if (row === undefined) return undefined;
    return {
      metadata: row['metadata'] as string,
      expiresAt: Number(row['expires_at']),
      bytes: Number(row['bytes'] ?? 0),
      valueOf: (key) => this.sql.valueOf.get(threadId, key)?.['value'] as string | undefined,
      state: undefined,
    };
  }

  /**
   * Runs one operation of a batch in a savepoint: its own failure (a thread too large) rolls
   * back its writes only; SQLite's failure ends the whole transaction (thrown on).
   */
  private inSavepoint<T>(body: () => T): Outcome<T> {
    this.sql.savepoint.run();
    const outcome = attempt(body);
    if ('error' in outcome) this.sql.rollbackToSavepoint.run();
    this.sql.releaseSavepoint.run();
    return outcome;
  }

  private purgeQuietly(): void {
    try {
      this.purge();
    } catch {
      // The next purge or the next operation on an expired thread tries again.
    }
  }

  /** Whether a live thread's expiry was last renewed longer ago than `renewSlackMs`. */
  private dueForRenewal(expiresAt: number, now: number): boolean {
    return expiresAt < now + this.ttlMs - this.renewSlackMs;
  }

  /** Deletes `threadId` if it is there but expired; whether it was. Inside a transaction. */
  private removeIfExpired(threadId: string, now: number): boolean {
    const row = this.sql.expiredOne.get(threadId, now);
    if (!row) return false;
    this.sql.removeThread.get(threadId);
    this.sql.clearState.run(threadId);
    return true;
  }

  /**
   * Runs `body` in one transaction: a write transaction takes the write lock first (`BEGIN
   * IMMEDIATE`, so that two processes never deadlock upgrading a read); a read transaction
   * sees one snapshot and takes no lock. Any error rolls it back; another connection's lock
   * throws {@link StoreBusy} at once (the connection's busy timeout is 0: the callers wait on a
   * timer, not on the event loop); SQLite's other failures (disk full, I/O) become
   * `ThreadStoreUnavailableError`.
   */
  private transaction<T>(what: string, mode: 'read' | 'write', body: () => T, committed?: (result: T) => void): T {
    if (this.closed) throw afterClose(what);
    try {
      (mode === 'write' ? this.sql.beginWrite : this.sql.beginRead).run();
    } catch (error) {
      throw isBusy(error) ? new StoreBusy(what, error) : unavailable(what, error);
    }
    let result: T;
    try {
      result = body();
      this.sql.commit.run();
    } catch (error) {
      try {
        this.sql.rollback.run();
      } catch {
        // Already rolled back by SQLite itself (some errors end the transaction).
      }
      if (isBusy(error)) throw new StoreBusy(what, error);
      throw isSqliteError(error) ? unavailable(what, error) : error;
    }
    committed?.(result);
    return result;
  }

  private emit(threadId: string, reason: 'expired' | 'destroyed'): void {
    for (const listener of this.listeners) guard('an onGone listener', () => listener(threadId, reason), undefined);
  }
}

function prepareStatements(db: SqliteDatabase) {
  const prepare = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    // Prepared once, as every statement here: `exec` would compile them again each time.
    beginRead: prepare('BEGIN'),
    /** () -> data_version: changes when another connection has committed to the file. */
    dataVersion: prepare('PRAGMA data_version'),
    beginWrite: prepare('BEGIN IMMEDIATE'),
    commit: prepare('COMMIT'),
    rollback: prepare('ROLLBACK'),
    savepoint: prepare('SAVEPOINT operation'),
    rollbackToSavepoint: prepare('ROLLBACK TO operation'),
    releaseSavepoint: prepare('RELEASE operation'),
    /** (expires_at, thread_id, now) -> metadata of a live thread, whose expiry it renews. */
    renew: prepare('UPDATE threads SET expires_at = ? WHERE thread_id = ? AND expires_at > ? RETURNING metadata'),
    /** (expires_at, JSON array of thread IDs, now, renewed before) -> renews those live and due. */
    renewDue: prepare(
      'UPDATE threads SET expires_at = ?1 WHERE thread_id IN (SELECT value FROM json_each(?2)) ' +
        'AND expires_at > ?3 AND expires_at < ?4',
    ),
    /** (thread_id) -> the thread's metadata and expiry, live or expired. */
    threadWithExpiry: prepare('SELECT metadata, expires_at FROM threads WHERE thread_id = ?'),
    /** (thread_id) -> as threadWithExpiry, with the UTF-8 bytes of its stored state. */
    threadForSave: prepare(
      'SELECT metadata, expires_at, (SELECT sum(bytes) FROM thread_state WHERE thread_id = ?1) AS bytes ' +
        'FROM threads WHERE thread_id = ?1',
    ),
    /** (thread_id, now) -> a row when the thread is there but expired. */
    expiredOne: prepare('SELECT 1 FROM threads WHERE thread_id = ? AND expires_at <= ?'),
    /** (now, limit) -> IDs of expired threads. */
    expired: prepare('SELECT thread_id FROM threads WHERE expires_at <= ? ORDER BY expires_at LIMIT ?'),
    stateOf: prepare('SELECT key, value FROM thread_state WHERE thread_id = ?'),
    valueOf: prepare('SELECT value FROM thread_state WHERE thread_id = ? AND key = ?'),
    stateBytes: prepare('SELECT sum(bytes) AS bytes FROM thread_state WHERE thread_id = ?'),
    clearState: prepare('DELETE FROM thread_state WHERE thread_id = ?'),
    deleteKey: prepare('DELETE FROM thread_state WHERE thread_id = ? AND key = ?'),
    setKey: prepare(
      'INSERT INTO thread_state (thread_id, key, value, bytes) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (thread_id, key) DO UPDATE SET value = excluded.value, bytes = excluded.bytes',
    ),
    upsertThread: prepare(
      'INSERT INTO threads (thread_id, metadata, expires_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (thread_id) DO UPDATE SET metadata = excluded.metadata, expires_at = excluded.expires_at',
    ),
    removeThread: prepare('DELETE FROM threads WHERE thread_id = ? RETURNING expires_at'),
    /** (thread_id, expires_at): remembers a destroyed thread until then. */
    bury: prepare(
      'INSERT INTO destroyed_threads (thread_id, expires_at) VALUES (?, ?) ' +
        'ON CONFLICT (thread_id) DO UPDATE SET expires_at = excluded.expires_at',
    ),
    /** (thread_id, now) -> a row when the thread was destroyed less than a TTL ago. */
    tombstone: prepare('SELECT 1 FROM destroyed_threads WHERE thread_id = ? AND expires_at > ?'),
    /** (now): forgets destroyed threads past their TTL. */
    forget: prepare('DELETE FROM destroyed_threads WHERE expires_at <= ?'),
  };
}

interface QueuedLoad {
  readonly threadId: string;
  readonly resolve: (snapshot: ThreadSnapshot | undefined) => void;
  readonly reject: (error: unknown) => void;
}

interface QueuedSave {
  readonly threadId: string;
  readonly changes: ThreadChanges;
  /** The keys set (not updated) with their JSON texts and sizes, encoded when the save was asked for. */
  readonly texts: ReadonlyArray<[key: string, text: string, bytes: number]>;
  readonly metadataText: string | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** What a save needs of a thread's row: from the file, or from the cache (which holds its state too). */
interface RowForSave {
  readonly metadata: string;
  readonly expiresAt: number;
  /** The UTF-8 bytes of its stored state. */
  readonly bytes: number;
  /** A state key's stored JSON text. */
  readonly valueOf: (key: string) => string | undefined;
  /** Its whole state, when known. */
  readonly state: ReadonlyMap<string, string> | undefined;
}

/** A cached thread as the row a save needs. */
function cachedRow(cached: StoredThread): RowForSave {
  return {
    metadata: cached.metadata,
    expiresAt: cached.expiresAt,
    bytes: [...cached.state].reduce((bytes, [key, text]) => bytes + entryByteSize(key, text), 0),
    valueOf: (key) => cached.state.get(key),
    state: cached.state,
  };
}

/**
 * The changes' `updates` applied to the stored values (read inside the write transaction, so
 * no other process writes in between): the texts to write and the keys to remove.
 */
function applyUpdates(
  changes: ThreadChanges,
  storedValue: (key: string) => string | undefined,
): { texts: Array<[string, string, number]>; deleted: string[] } {
  const texts: Array<[string, string, number]> = [];
  const deleted: string[] = [];
  for (const [key, update] of Object.entries(changes.updates ?? {})) {
    const text = updatedText(key, update, storedValue(key));
    if (text === undefined) deleted.push(key);
    else texts.push([key, text, entryByteSize(key, text)]);
  }
  return { texts, deleted };
}

interface SaveResult {
  /** The save found the thread expired (and removed it). */
  readonly expired: boolean;
  /** The thread as stored after the save, when known. */
  readonly stored: StoredThread | undefined;
}

interface ThreadRead {
  readonly snapshot: ThreadSnapshot | undefined;
  /** The thread is expired, or its expiry is due for renewal: a write follows. */
  readonly stale: boolean;
}

type Outcome<T> = { value: T } | { error: unknown };

/** `body`'s value, or the error it threw; SQLite's own errors are thrown on (they end the transaction). */
function attempt<T>(body: () => T): Outcome<T> {
  try {
    return { value: body() };
  } catch (error) {
    if (isSqliteError(error)) throw error;
    return { error };
  }
}

/** Another connection holds the lock SQLite needs (SQLITE_BUSY, SQLITE_LOCKED): try again later. */
class StoreBusy extends Error {
  constructor(
    readonly what: string,
    override readonly cause: unknown,
  ) {
    super(`otel-sessions: thread store ${what}: the SQLite file is locked by another connection`);
  }
}

/** SQLite's "busy" or "locked" answer, with any extended code. */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

/** The error of a write that waited `waited` ms for another connection's lock, in vain. */
function lockedTooLong(what: string, waited: number, busy: StoreBusy): ThreadStoreUnavailableError {
  return new ThreadStoreUnavailableError(
    `otel-sessions: thread store ${what} failed: SQLite: database is locked (another connection held the write lock for over ${Math.round(waited)} ms)`,
    { cause: busy.cause },
  );
}

/** `body`'s value; another connection's lock becomes a `ThreadStoreUnavailableError` (no wait). */
function unlessBusy<T>(body: () => T, what: string): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof StoreBusy) throw unavailable(what, error.cause);
    throw error;
  }
}

function rejectAll(operations: ReadonlyArray<{ readonly reject: (error: unknown) => void }>, error: unknown): void {
  for (const operation of operations) operation.reject(error);
}

function afterClose(what: string): Error {
  return new Error(`otel-sessions: thread store ${what} after close()`);
}

/** An error raised by SQLite itself (node:sqlite marks them with an `ERR_SQLITE_…` code). */
function isSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_SQLITE');
}

function unavailable(what: string, error: unknown): ThreadStoreUnavailableError {
  const message = error instanceof Error ? error.message : String(error);
  return new ThreadStoreUnavailableError(`otel-sessions: thread store ${what} failed: SQLite: ${message}`, {
    cause: error,
  });
}
