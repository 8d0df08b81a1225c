import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { ensureContextManager } from '../../../src/session/context-manager.js';
import { getSessionScope, withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { isSqliteAvailable } from '../../../src/thread/node-sqlite.js';
import { SqliteThreadStore, type SqliteThreadStoreOptions } from '../../../src/thread/sqlite-thread-store.js';
import { ThreadStoreUnavailableError } from '../../../src/thread/store-unavailable-error.js';
import type { StateUpdate } from '../../../src/thread/thread-store.js';
import { changes, threadStoreContract } from './support/thread-store-contract.js';
import { until } from '../../support/until.js';

const skip = isSqliteAvailable()
  ? false
  : `node:sqlite is not in Node.js ${process.versions.node} (needs 22.13+): run with Node 24`;
const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const TTL = 1000;

function storeWithClock(options: SqliteThreadStoreOptions = {}): {
  store: SqliteThreadStore;
  advance: (ms: number) => void;
  gone: string[];
} {
  let now = 1_000_000;
  const store = new SqliteThreadStore({
    path: join(dir, `clock${++files}.sqlite`),
    ttlMs: TTL,
    clock: () => now,
    purgeIntervalMs: 3_600_000,
    ...options,
  });
  const gone: string[] = [];
  store.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
  return { store, advance: (ms) => (now += ms), gone };
}

/** A `push` of `value` onto a stored list, as `ThreadState.push` hands it to the store. */
function push(value: string): StateUpdate {
  return { from: undefined, apply: (stored) => [...(Array.isArray(stored) ? stored : []), value] };
}

/** Counts the store's reads of a thread's row from the file (by loads and saves). */
function countReads(store: SqliteThreadStore): { count: number } {
  const reads = { count: 0 };
  const sql = (store as unknown as { sql: Record<string, { get(...args: unknown[]): unknown }> }).sql;
  for (const name of ['threadWithExpiry', 'threadForSave', 'tombstone']) {
    const statement = sql[name]!;
    const get = statement.get.bind(statement);
    sql[name] = { ...statement, get: (...args: unknown[]) => (reads.count++, get(...args)) };
  }
  return reads;
}

/**
 * Counts the pages (WAL frames) what it is given appends to the store's WAL: each commit
 * appends the pages it changed. Checkpoints are turned off, so that the WAL only grows (the
 * store must be made with `checkpointInWorker: false`).
 */
function walFramesCounter(store: SqliteThreadStore, path: string): (work: () => Promise<unknown>) => Promise<number> {
  const db = (store as unknown as { db: { exec(sql: string): void } }).db;
  db.exec('PRAGMA wal_autocheckpoint = 0');
  return async (work) => {
    const before = statSync(`${path}-wal`).size;
    await work();
    return (statSync(`${path}-wal`).size - before) / (4096 + 24);
  };
}

describe('SqliteThreadStore', { skip }, () => {
  threadStoreContract(
    ({ maxThreadBytes }) => new SqliteThreadStore({ path: join(dir, `contract${++files}.sqlite`), maxThreadBytes }),
  );

  test('threads survive closing and reopening the file (a restart)', async () => {
    const path = join(dir, 'restart.sqlite');
    const first = new SqliteThreadStore({ path });
    await first.save('thrd_a', changes({ set: { turn: 1, history: ['hi'] }, metadata: { user: 'u1' } }));
    await first.close();
    const second = new SqliteThreadStore({ path });
    assert.deepEqual(await second.load('thrd_a'), { state: { turn: 1, history: ['hi'] }, metadata: { user: 'u1' } });
    await second.close();
  });

  test('two stores on one file (as two processes) share threads, and the cap counts what both wrote', async () => {
    const path = join(dir, 'shared.sqlite');
    const one = new SqliteThreadStore({ path, maxThreadBytes: 100 });
    const two = new SqliteThreadStore({ path, maxThreadBytes: 100 });
    await one.save('thrd_a', changes({ set: { a: 'x'.repeat(60) } }));
    await assert.rejects(two.save('thrd_a', changes({ set: { b: 'y'.repeat(60) } })), { name: 'ThreadTooLargeError' });
    await two.save('thrd_a', changes({ set: { b: 'small' } }));
    assert.deepEqual((await one.load('thrd_a'))?.state, { a: 'x'.repeat(60), b: 'small' });
    await Promise.all([one.close(), two.close()]);
  });

  test('the file is made owner-only, in the journal folder by default, in WAL mode', async () => {
    const journal = join(dir, 'journal');
    const store = new SqliteThreadStore({ dir: journal });
    assert.equal(store.path, join(journal, 'threads.sqlite'));
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    assert.equal(statSync(journal).mode & 0o777, 0o700);
    assert.ok(statSync(`${store.path}-wal`).isFile(), 'a -wal file: WAL mode');
    await store.close();
  });

  test('a thread expires exactly ttl after its last activity; load, save and touch extend it; onGone reports it', async () => {
    const { store, advance, gone } = storeWithClock();
    await store.save('thrd_a', changes({ set: { x: 1 } }));
    await store.save('thrd_b', changes({ set: { x: 2 } }));
    await store.save('thrd_c', changes({ set: { x: 3 } }));
    advance(TTL - 1);
    assert.ok(await store.load('thrd_a'), 'alive 1 ms before the ttl (and the load is activity)');
    await store.touch(['thrd_b', 'thrd_unknown']);
    await store.save('thrd_c', changes({}));
    advance(1);
    store.purge();
    assert.deepEqual(gone, []);
    advance(TTL - 1);
    store.purge();
    assert.deepEqual(gone.sort(), ['thrd_a expired', 'thrd_b expired', 'thrd_c expired']);
    assert.equal(await store.load('thrd_a'), undefined);
    assert.equal(await store.load('thrd_unknown'), undefined, 'touch created nothing');
    await store.close();
  });

  test('a touch renews only the threads due: those renewed a moment ago cost no write', async () => {
    const { store, advance } = storeWithClock({ checkpointInWorker: false });
    const framesOf = walFramesCounter(store, store.path);
    await store.save('thrd_a', changes({ set: { x: 1 } }));
    await store.save('thrd_b', changes({ set: { x: 2 } }));
    advance(TTL / 100); // well within a tenth of the TTL: as the span processor's touch comes after a turn's save
    assert.equal(await framesOf(() => store.touch(['thrd_a', 'thrd_b'])), 0, 'a touch just after the saves wrote');
    advance(TTL / 2);
    assert.ok(
      (await framesOf(() => store.touch(['thrd_a', 'thrd_unknown']))) > 0,
      'a touch of a thread due wrote nothing',
    );
    advance(TTL / 2); // thrd_b was last renewed by its save, thrd_a half a TTL ago
    assert.equal(await store.load('thrd_b'), undefined);
    assert.deepEqual((await store.load('thrd_a'))?.state, { x: 1 });
    assert.equal(await store.load('thrd_unknown'), undefined, 'touch created nothing');
    await store.close();
  });

  test('a thread this process has loaded is loaded again, and saved to, without reading the file, as the file has it', async () => {
    const path = join(dir, 'read-cache.sqlite');
    const store = new SqliteThreadStore({ path });
    const reads = countReads(store);
    await store.save('thrd_a', changes({ set: { a: 1, gone: true }, metadata: { userId: 'u1' } }));
    // A new thread goes into the cache when it is first loaded, not when made.
    reads.count = 0;
    assert.ok(await store.load('thrd_a'));
    assert.equal(await store.load('thrd_new'), undefined);
    const firstReads = reads.count;
    assert.ok(firstReads > 0, 'the first loads did not read the file');
    await store.save('thrd_a', changes({ set: { b: { c: 2 } }, deleted: ['gone'], updates: { log: push('one') } }));
    await store.save('thrd_a', changes({ set: { log: [] }, updates: { log: push('two') } }));
    const cached = await store.load('thrd_a');
    assert.equal(await store.load('thrd_new'), undefined);
    assert.equal(reads.count, firstReads, 'the file was read again');
    // What a store without the cache reads from the file.
    const fresh = new SqliteThreadStore({ path });
    assert.deepEqual(cached, await fresh.load('thrd_a'));
    assert.deepEqual(cached, { state: { a: 1, b: { c: 2 }, log: ['one', 'two'] }, metadata: { userId: 'u1' } });
    // Each load answers objects of its own.
    (cached?.state['b'] as Record<string, unknown>)['c'] = 'changed by the app';
    assert.deepEqual((await store.load('thrd_a'))?.state['b'], { c: 2 });
    await Promise.all([store.close(), fresh.close()]);
  });

  test("another process's write to the file is seen at the next load: its save, its destroy, its new thread", async () => {
    const path = join(dir, 'read-cache-shared.sqlite');
    const one = new SqliteThreadStore({ path });
    const two = new SqliteThreadStore({ path });
    await one.save('thrd_a', changes({ set: { turn: 1 } }));
    await one.save('thrd_b', changes({ set: { turn: 1 } }));
    assert.equal(await one.load('thrd_c'), undefined);
    await two.save('thrd_a', changes({ set: { turn: 2 } }));
    await two.destroy('thrd_b');
    await two.save('thrd_c', changes({ set: { turn: 1 } }));
    assert.deepEqual((await one.load('thrd_a'))?.state, { turn: 2 });
    assert.equal((await one.load('thrd_b'))?.destroyed, true);
    assert.deepEqual((await one.load('thrd_c'))?.state, { turn: 1 });
    await Promise.all([one.close(), two.close()]);
  });

  test('a save to a thread the cache holds counts its stored bytes against the cap, and pushes onto its stored value', async () => {
    const store = new SqliteThreadStore({ path: join(dir, 'read-cache-cap.sqlite'), maxThreadBytes: 100 });
    const reads = countReads(store);
    await store.save('thrd_a', changes({ set: { a: 'x'.repeat(60) } }));
    await store.load('thrd_a');
    reads.count = 0;
    await store.save('thrd_a', changes({ set: { b: 'small' }, updates: { log: push('one') } }));
    assert.equal(reads.count, 0, 'the save read the thread from the file');
    // Written without a read of the file, this save would pass the cap unless the cache counted what is stored.
    await assert.rejects(store.save('thrd_a', changes({ set: { c: 'y'.repeat(60) } })), {
      name: 'ThreadTooLargeError',
    });
    assert.deepEqual((await store.load('thrd_a'))?.state, { a: 'x'.repeat(60), b: 'small', log: ['one'] });
    await store.close();
  });

  test('metadata changed twice within one millisecond is written both times', async () => {
    const { store } = storeWithClock(); // a clock that stands still
    await store.save('thrd_a', changes({ set: { turn: 1 }, metadata: { turn: 1 } }));
    await store.save('thrd_a', changes({ set: { turn: 2 }, metadata: { turn: 2 } }));
    const fresh = new SqliteThreadStore({ path: store.path, ttlMs: TTL, clock: () => 1_000_000 });
    assert.deepEqual(await fresh.load('thrd_a'), { state: { turn: 2 }, metadata: { turn: 2 } });
    await Promise.all([store.close(), fresh.close()]);
  });

  test('a thread read a moment ago expires on time: the cache does not keep it alive', async () => {
    const { store, advance } = storeWithClock();
    await store.save('thrd_a', changes({ set: { x: 1 } }));
    assert.ok(await store.load('thrd_a'));
    advance(TTL);
    assert.equal(await store.load('thrd_a'), undefined);
    await store.close();
  });

  test('an expired thread is gone for every operation even before a purge, and a save starts it afresh', async () => {
    const { store, advance, gone } = storeWithClock();
    await store.save('thrd_a', changes({ set: { old: 1 }, metadata: { m: 1 } }));
    await store.save('thrd_b', changes({ set: { old: 1 } }));
    await store.save('thrd_c', changes({ set: { old: 1 } }));
    advance(TTL);
    await store.save('thrd_a', changes({ set: { new: 2 } }));
    assert.deepEqual(await store.load('thrd_a'), { state: { new: 2 }, metadata: {} });
    assert.equal(await store.load('thrd_b'), undefined);
    assert.equal(await store.destroy('thrd_c'), false, 'an expired thread no longer exists');
    assert.deepEqual(gone, ['thrd_a expired', 'thrd_b expired', 'thrd_c expired']);
    await store.close();
  });

  test('destroy reports to onGone, and the destroyed thread is remembered for one TTL', async () => {
    const { store, gone, advance } = storeWithClock();
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    assert.equal(await store.destroy('thrd_a'), true);
    assert.deepEqual(gone, ['thrd_a destroyed']);
    assert.equal((await store.load('thrd_a'))?.destroyed, true);
    advance(TTL);
    store.purge();
    assert.equal(await store.load('thrd_a'), undefined, 'a destroyed thread is remembered for one TTL only');
    await store.save('thrd_a', changes({ set: { again: 1 } }));
    assert.deepEqual((await store.load('thrd_a'))?.state, { again: 1 });
    assert.deepEqual(gone, ['thrd_a destroyed']);
    await store.close();
  });

  test('purge removes expired threads in batches, and their state rows with them', async () => {
    const { store, advance, gone } = storeWithClock();
    for (let n = 0; n < 1200; n++) await store.save(`thrd_${n}`, changes({ set: { n } }));
    advance(TTL);
    await store.save('thrd_live', changes({ set: { live: true } }));
    store.purge();
    assert.equal(gone.length, 1200);
    assert.deepEqual(await store.load('thrd_live'), { state: { live: true }, metadata: {} });
    const db = (store as unknown as { db: { prepare(sql: string): { get(): Record<string, unknown> } } }).db;
    assert.deepEqual({ ...db.prepare('SELECT count(*) AS n FROM threads').get() }, { n: 1 });
    assert.deepEqual({ ...db.prepare('SELECT count(*) AS n FROM thread_state').get() }, { n: 1 });
    await store.close();
  });

  test('a write lock held by another connection past busyTimeoutMs: ThreadStoreUnavailableError, and it works once released', async () => {
    const path = join(dir, 'busy.sqlite');
    const holder = new SqliteThreadStore({ path });
    const store = new SqliteThreadStore({ path, busyTimeoutMs: 50 });
    const db = (holder as unknown as { db: { exec(sql: string): void } }).db;
    db.exec('BEGIN IMMEDIATE');
    await assert.rejects(store.save('thrd_a', changes({ set: { a: 1 } })), (error: unknown) => {
      assert.ok(error instanceof ThreadStoreUnavailableError);
      assert.match(error.message, /^otel-sessions: thread store save failed: SQLite: database is locked/);
      return true;
    });
    db.exec('ROLLBACK');
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    assert.deepEqual((await holder.load('thrd_a'))?.state, { a: 1 });
    await Promise.all([holder.close(), store.close()]);
  });

  test("a write waits for another connection's lock on a timer, not on the event loop, and commits once it is released", async () => {
    const path = join(dir, 'waits.sqlite');
    const holder = new SqliteThreadStore({ path });
    const store = new SqliteThreadStore({ path, busyTimeoutMs: 60_000 });
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    const db = (holder as unknown as { db: { exec(sql: string): void } }).db;
    db.exec('BEGIN IMMEDIATE');
    let settled = false;
    const saved = store.save('thrd_a', changes({ set: { b: 2 } })).finally(() => (settled = true));
    const destroyed = store.destroy('thrd_gone').finally(() => (settled = true));
    // A blocking wait would hold the event loop until the lock is given up (here: never, as
    // the holder is in this process): the timer below would not fire.
    await sleep(30);
    assert.equal(settled, false, 'the save and the destroy are still waiting for the lock');
    assert.deepEqual((await store.load('thrd_a'))?.state, { a: 1 }, 'loads are answered meanwhile');
    db.exec('ROLLBACK');
    await Promise.all([saved, destroyed]);
    assert.deepEqual((await holder.load('thrd_a'))?.state, { a: 1, b: 2 });
    await Promise.all([holder.close(), store.close()]);
  });

  test('loads take no write lock unless the expiry is due for renewal: they go on while another process writes', async () => {
    const path = join(dir, 'reads.sqlite');
    let now = 1_000_000;
    const holder = new SqliteThreadStore({ path });
    const store = new SqliteThreadStore({ path, busyTimeoutMs: 50, ttlMs: 600_000, clock: () => now });
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    const db = (holder as unknown as { db: { exec(sql: string): void } }).db;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Renewed a moment ago, and unknown threads: read without the lock the other holds.
      now += 1000;
      assert.deepEqual((await store.load('thrd_a'))?.state, { a: 1 });
      assert.equal(await store.load('thrd_unknown'), undefined);
      // Renewed longer ago than a tenth of the TTL: the renewal needs the lock, so it is left
      // to a later load (the load does not wait for the lock).
      now += 120_000;
      assert.deepEqual((await store.load('thrd_a'))?.state, { a: 1 });
    } finally {
      db.exec('ROLLBACK');
    }
    assert.deepEqual((await store.load('thrd_a'))?.state, { a: 1 });
    // That load renewed it: alive a whole TTL after it, not after the save.
    now += 600_000 - 1;
    assert.deepEqual((await store.load('thrd_a'))?.state, { a: 1 });
    await Promise.all([holder.close(), store.close()]);
  });

  test('a save that writes state only leaves a freshly renewed thread row (and its expiry index) alone', async () => {
    const path = join(dir, 'quiet-saves.sqlite');
    let now = 1_000_000;
    const store = new SqliteThreadStore({ path, ttlMs: 600_000, clock: () => now, checkpointInWorker: false });
    const framesOf = walFramesCounter(store, path);
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    now += 1000;
    assert.equal(await framesOf(() => store.save('thrd_a', changes({ set: { a: 2 } }))), 1, 'the state page only');
    // Renewed longer ago than a tenth of the TTL: the save renews it too.
    now += 120_000;
    assert.ok((await framesOf(() => store.save('thrd_a', changes({ set: { a: 3 } })))) >= 2);
    now += 600_000 - 1;
    assert.deepEqual((await store.load('thrd_a'))?.state, { a: 3 }, 'alive a whole TTL after the renewing save');
    await store.close();
  });

  test("the WAL is checkpointed from a worker thread: the file takes in the commits before the store's connection would", async () => {
    const path = join(dir, 'checkpoints.sqlite');
    const store = new SqliteThreadStore({ path });
    await store.save('thrd_first', changes({ set: { a: 1 } }));
    const before = statSync(path).size;
    // A few dozen pages: far below the 1,000 after which SQLite checkpoints on the writer.
    await Promise.all(Array.from({ length: 200 }, (_, n) => store.save(`thrd_${n}`, changes({ set: { n } }))));
    assert.ok(
      await until(() => statSync(path).size > before),
      `the file stayed at ${before} bytes: nothing was checkpointed`,
    );
    await store.close();
    // The worker's connection is closed too: the last connection to close removes the WAL.
    assert.equal(existsSync(`${path}-wal`), false);
  });

  test('loads and saves asked for in one event-loop turn share transactions: ten saves of a turn are one commit', async () => {
    const path = join(dir, 'one-turn.sqlite');
    const store = new SqliteThreadStore({ path, checkpointInWorker: false });
    const framesOf = walFramesCounter(store, path);
    await store.save('thrd_first', changes({ set: { a: 1 } }));
    const one = await framesOf(() => store.save('thrd_one', changes({ set: { a: 1 } })));
    const ten = await framesOf(() =>
      Promise.all(Array.from({ length: 10 }, (_, n) => store.save(`thrd_ten${n}`, changes({ set: { a: n } })))),
    );
    // Each commit appends the pages it changed; ten commits would append ten times as many.
    assert.equal(ten, one, `one new thread: ${one} pages; ten in one turn: ${ten}`);
    const loaded = await Promise.all([store.load('thrd_ten3'), store.load('thrd_unknown'), store.load('thrd_ten9')]);
    assert.deepEqual(
      loaded.map((snapshot) => snapshot?.state),
      [{ a: 3 }, undefined, { a: 9 }],
    );
    await store.close();
  });

  test('a save too large is refused alone: the other saves of its turn are kept, and none of its own changes', async () => {
    const { store } = storeWithClock({ maxThreadBytes: 100 });
    await store.save('thrd_big', changes({ set: { kept: 'before' } }));
    const outcomes = await Promise.allSettled([
      store.save('thrd_a', changes({ set: { a: 1 } })),
      store.save('thrd_big', changes({ set: { kept: 'changed', huge: 'x'.repeat(200) } })),
      store.save('thrd_b', changes({ set: { b: 2 } })),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error).name : 'saved')),
      ['saved', 'ThreadTooLargeError', 'saved'],
    );
    assert.deepEqual((await store.load('thrd_big'))?.state, { kept: 'before' }, 'rolled back whole');
    assert.deepEqual((await store.load('thrd_a'))?.state, { a: 1 });
    assert.deepEqual((await store.load('thrd_b'))?.state, { b: 2 });
    await store.close();
  });

  test('what a turn asked for is done before a destroy, touch or close that follows it', async () => {
    const path = join(dir, 'in-order.sqlite');
    const store = new SqliteThreadStore({ path });
    const saving = store.save('thrd_a', changes({ set: { a: 1 } }));
    assert.equal(await store.destroy('thrd_a'), true, 'the save came first: there was a thread to destroy');
    await saving;
    assert.equal((await store.load('thrd_a'))?.destroyed, true);
    const last = store.save('thrd_b', changes({ set: { b: 1 } }));
    await store.close();
    await last;
    const reopened = new SqliteThreadStore({ path });
    assert.deepEqual((await reopened.load('thrd_b'))?.state, { b: 1 }, 'saved before the file was closed');
    await reopened.close();
  });

  test('a turn whose write transaction fails refuses its saves as unavailable; its loads, which only read, are answered', async () => {
    const path = join(dir, 'busy-turn.sqlite');
    const holder = new SqliteThreadStore({ path });
    const store = new SqliteThreadStore({ path, busyTimeoutMs: 50 });
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    const db = (holder as unknown as { db: { exec(sql: string): void } }).db;
    db.exec('BEGIN IMMEDIATE');
    try {
      const [saved, loaded] = await Promise.allSettled([
        store.save('thrd_b', changes({ set: { b: 1 } })),
        store.load('thrd_a'),
      ]);
      assert.equal(saved.status, 'rejected');
      assert.ok(saved.status === 'rejected' && saved.reason instanceof ThreadStoreUnavailableError);
      assert.deepEqual(loaded.status === 'fulfilled' ? loaded.value?.state : loaded.reason, { a: 1 });
    } finally {
      db.exec('ROLLBACK');
    }
    await Promise.all([holder.close(), store.close()]);
  });

  test('an onGone listener that throws is reported, and the operation that found the thread gone is answered', async () => {
    const { store, advance } = storeWithClock();
    const reported: unknown[] = [];
    diag.setLogger(
      {
        error: (...args: unknown[]) => reported.push(args),
        warn() {},
        info() {},
        debug() {},
        verbose() {},
      } as DiagLogger,
      DiagLogLevel.ERROR,
    );
    try {
      store.onGone(() => {
        throw new Error('listener failed');
      });
      await store.save('thrd_a', changes({ set: { a: 1 } }));
      advance(TTL);
      assert.equal(await store.load('thrd_a'), undefined);
      assert.match(String(reported[0]), /an onGone listener failed/);
    } finally {
      diag.disable();
    }
    await store.close();
  });

  test("a turn's batch runs outside the session that asked first: an onGone listener is not told within it", async () => {
    ensureContextManager();
    const { store, advance } = storeWithClock();
    const thread = newThreadId();
    await store.save(thread, changes({ set: { a: 1 } }));
    advance(TTL);
    const seen: Array<string | undefined> = [];
    store.onGone(() => seen.push(getSessionScope()?.sessionId));
    const sessionId = newSessionId();
    assert.equal(await withSession({ sessionId, threadId: thread }, () => store.load(thread)), undefined);
    assert.deepEqual(seen, [undefined], `told within session ${seen[0]}`);
    await store.close();
  });

  test('close is safe twice; operations after it reject', async () => {
    const { store } = storeWithClock();
    await store.close();
    await store.close();
    await assert.rejects(store.load('thrd_a'), /after close\(\)/);
  });
});

test('on a Node without node:sqlite, making a store says which Node it needs', { skip: !skip }, () => {
  assert.throws(
    () => new SqliteThreadStore({ path: join(dir, 'none.sqlite') }),
    /needs node:sqlite, built into Node\.js 22\.13/,
  );
});
