// What every thread store must do alike, run against each store (memory and SQLite in the
// unit tests, Redis against a real redis-server in test/e2e). Expiry timing is tested per
// store, since only some of them take a clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadByteSize } from '../../../../src/thread/json-state.js';
import { ThreadTooLargeError } from '../../../../src/thread/thread-too-large-error.js';
import { ThreadState } from '../../../../src/thread/thread-state.js';
import type { ThreadChanges, ThreadStore } from '../../../../src/thread/thread-store.js';

/** Makes a fresh store (closed by the contract) with the given size cap. */
export type StoreFactory = (options: { maxThreadBytes?: number }) => ThreadStore | Promise<ThreadStore>;

export function changes(partial: Partial<ThreadChanges>): ThreadChanges {
  return { cleared: false, set: {}, deleted: [], ...partial };
}

let sequence = 0;
function newId(): string {
  return `thrd_contract${++sequence}x${process.pid}x${Date.now().toString(36)}`;
}

/** Registers the contract's tests in the current `describe`. */
export function threadStoreContract(makeStore: StoreFactory): void {
  async function withStore(
    options: { maxThreadBytes?: number },
    body: (store: ThreadStore) => Promise<void>,
  ): Promise<void> {
    const store = await makeStore(options);
    try {
      await body(store);
    } finally {
      await store.close();
    }
  }

  test('contract: save then load round-trips state and metadata, key by key', () =>
    withStore({}, async (store) => {
      const id = newId();
      assert.equal(await store.load(id), undefined);
      await store.save(
        id,
        changes({ set: { cart: { items: [1, 'two', null, true] }, 'ключ ✓': 'é' }, metadata: { u: 1 } }),
      );
      assert.deepEqual(await store.load(id), {
        state: { cart: { items: [1, 'two', null, true] }, 'ключ ✓': 'é' },
        metadata: { u: 1 },
      });
      await store.save(id, changes({ set: { step: 2 }, deleted: ['cart'] }));
      assert.deepEqual(await store.load(id), { state: { 'ключ ✓': 'é', step: 2 }, metadata: { u: 1 } });
      await store.save(id, changes({ cleared: true, set: { fresh: true } }));
      assert.deepEqual(await store.load(id), { state: { fresh: true }, metadata: { u: 1 } });
      await store.save(id, changes({ cleared: true }));
      assert.deepEqual(await store.load(id), { state: {}, metadata: { u: 1 } }, 'emptied, still alive');
    }));

  test('contract: a state key named __proto__ stays a plain key', () =>
    withStore({}, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as never }));
      const snapshot = await store.load(id);
      assert.ok(snapshot);
      assert.equal(Object.getPrototypeOf(snapshot.state), Object.prototype);
      assert.deepEqual(Object.keys(snapshot.state).sort(), ['__proto__', 'x']);
      assert.equal((snapshot.state as { polluted?: unknown }).polluted, undefined);
    }));

  test('contract: a save that writes nothing (or only deletes) leaves no thread behind', () =>
    withStore({}, async (store) => {
      const id = newId();
      await store.save(id, changes({}));
      await store.save(id, changes({ cleared: true, deleted: ['a'] }));
      assert.equal(await store.load(id), undefined, 'nothing was stored');
      await store.save(id, changes({ metadata: {} }));
      assert.deepEqual(await store.load(id), { state: {}, metadata: {} }, 'metadata written: the thread exists');
      assert.equal(await store.destroy(id), true);
    }));

  test('contract: touch renews existing threads only; an unknown thread stays unknown', () =>
    withStore({}, async (store) => {
      const known = newId();
      const unknown = newId();
      await store.save(known, changes({ set: { a: 1 } }));
      await store.touch([known, unknown]);
      assert.deepEqual(await store.load(known), { state: { a: 1 }, metadata: {} });
      assert.equal(await store.load(unknown), undefined);
      assert.equal(await store.destroy(unknown), false);
    }));

  test('contract: save refuses a change past the cap whole, naming size and cap; the thread stays writable', () =>
    withStore({ maxThreadBytes: 100 }, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: { a: 'x'.repeat(40) }, metadata: { m: 1 } }));
      // {"m":1} = 7; a + "x…" (42) = 43; b + 52 = 53: 103 > 100
      await assert.rejects(store.save(id, changes({ set: { b: 'y'.repeat(50), c: 1 } })), (error: unknown) => {
        assert.ok(error instanceof ThreadTooLargeError, String(error));
        assert.equal(error.bytes, 7 + 43 + 53 + 2);
        assert.equal(error.maxBytes, 100);
        assert.match(
          error.message,
          new RegExp(`^thread ${id} would be 105 bytes after this change, above its cap of 100 bytes$`),
        );
        return true;
      });
      assert.deepEqual(
        await store.load(id),
        { state: { a: 'x'.repeat(40) }, metadata: { m: 1 } },
        'nothing of it written',
      );
      // Replacing a key counts the new value instead of the old one; deletes make room.
      await store.save(id, changes({ set: { a: 'z'.repeat(80) } }));
      await store.save(id, changes({ deleted: ['a'], set: { b: 'y'.repeat(50) } }));
      assert.deepEqual(await store.load(id), { state: { b: 'y'.repeat(50) }, metadata: { m: 1 } });
      await store.save(id, changes({ cleared: true, set: { c: 'w'.repeat(85) } }));
      assert.deepEqual(await store.load(id), { state: { c: 'w'.repeat(85) }, metadata: { m: 1 } });
    }));

  test('contract: 8 concurrent saves of 300 KiB to different keys against a 1 MiB cap: the thread stays within it, and stays writable', () =>
    withStore({ maxThreadBytes: 1024 * 1024 }, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: { start: true } }));
      const big = 'x'.repeat(300 * 1024);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, n) => store.save(id, changes({ set: { [`part${n}`]: big } }))),
      );
      const refused = results.filter((result) => result.status === 'rejected');
      for (const result of refused) assert.ok(result.reason instanceof ThreadTooLargeError, String(result.reason));
      assert.equal(results.length - refused.length, 3, 'three of 300 KiB fit in 1 MiB, the fourth does not');
      const snapshot = await store.load(id);
      assert.ok(snapshot);
      assert.ok(threadByteSize(snapshot) <= 1024 * 1024, `stored ${threadByteSize(snapshot)} bytes`);
      await store.save(id, changes({ set: { small: 'still writable' } }));
      assert.equal((await store.load(id))?.state['small'], 'still writable');
    }));

  test('contract: one save of 2,500 keys, then one deleting 1,500 of them', () =>
    withStore({}, async (store) => {
      const id = newId();
      const keys = Array.from({ length: 2500 }, (_, n) => `k${n}`);
      await store.save(id, changes({ set: Object.fromEntries(keys.map((key, n) => [key, n])) }));
      await store.save(id, changes({ deleted: keys.slice(0, 1500) }));
      const state = (await store.load(id))?.state ?? {};
      assert.equal(Object.keys(state).length, 1000);
      assert.equal(state['k1500'], 1500);
    }));

  test('contract: destroy removes the thread, resolves whether it existed, and remembers it: loads say destroyed, saves are dropped', () =>
    withStore({}, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: { a: 1 }, metadata: { m: 1 } }));
      assert.equal(await store.destroy(id), true);
      const tombstone = { state: {}, metadata: {}, destroyed: true };
      assert.deepEqual(await store.load(id), tombstone);
      await store.save(id, changes({ set: { b: 2 } }));
      assert.deepEqual(await store.load(id), tombstone, 'a save to a destroyed thread is dropped');
      await store.touch([id]);
      assert.equal(await store.destroy(id), false);
      const never = newId();
      assert.equal(await store.destroy(never), false, 'a thread never written');
      assert.deepEqual(await store.load(never), tombstone, 'is remembered as destroyed too');
    }));

  /** One session's view of the thread: state loaded from the store now, saved by `save`. */
  async function openSession(store: ThreadStore, id: string, maxBytes?: number) {
    const snapshot = (await store.load(id)) ?? { state: {}, metadata: {} };
    const state = new ThreadState(id, () => Promise.resolve(snapshot), maxBytes);
    return { state, save: () => store.save(id, { ...state.takeChanges() }) };
  }

  test("contract: 20 sessions that loaded the same thread push at once: every entry is kept, and push's max holds", () =>
    withStore({}, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: { log: ['first'], bounded: [] } }));
      const sessions = await Promise.all(Array.from({ length: 20 }, () => openSession(store, id)));
      await Promise.all(
        sessions.map(async (session, n) => {
          await session.state.push('log', { n });
          await session.state.push('bounded', n, 5);
        }),
      );
      await Promise.all(sessions.map((session) => session.save()));
      const state = (await store.load(id))?.state ?? {};
      const log = state['log'] as Array<string | { n: number }>;
      assert.equal(log.length, 21, 'the first entry and one per session');
      assert.equal(log[0], 'first');
      assert.deepEqual(new Set(log.slice(1).map((entry) => (entry as { n: number }).n)).size, 20);
      assert.equal((state['bounded'] as number[]).length, 5, 'max 5 holds whatever the order of saves');
    }));

  test('contract: update applies to the stored value at save time (a counter from 10 sessions counts 10); undefined removes the key', () =>
    withStore({}, async (store) => {
      const id = newId();
      const sessions = await Promise.all(Array.from({ length: 10 }, () => openSession(store, id)));
      for (const session of sessions) {
        await session.state.update<number>('visits', (n) => (n ?? 0) + 1);
        assert.equal(await session.state.get('visits'), 1, 'the session sees its own change at once');
      }
      await Promise.all(sessions.map((session) => session.save()));
      assert.equal((await store.load(id))?.state['visits'], 10);

      const remover = await openSession(store, id);
      await remover.state.update('visits', () => undefined);
      await remover.save();
      assert.equal(Object.hasOwn((await store.load(id))?.state ?? {}, 'visits'), false);
    }));

  test('contract: a set after a push in one session is absolute (last writer wins); a push after a set adds to it', () =>
    withStore({}, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: { log: ['a'] } }));
      const one = await openSession(store, id);
      const two = await openSession(store, id);
      await one.state.push('log', 'b');
      await one.state.set('log', ['reset']);
      await one.state.push('log', 'c');
      await two.state.push('log', 'd');
      await two.save();
      await one.save();
      assert.deepEqual((await store.load(id))?.state['log'], ['reset', 'c']);
    }));

  test('contract: concurrent pushes past the size cap: the ones that fit are kept, the rest refused with ThreadTooLargeError', () =>
    withStore({ maxThreadBytes: 4096 }, async (store) => {
      const id = newId();
      await store.save(id, changes({ set: { log: [] } }));
      const sessions = await Promise.all(Array.from({ length: 10 }, () => openSession(store, id, 4096)));
      for (const session of sessions) await session.state.push('log', 'x'.repeat(1000));
      const outcomes = await Promise.allSettled(sessions.map((session) => session.save()));
      const kept = ((await store.load(id))?.state['log'] as string[]).length;
      const refused = outcomes.filter((o) => o.status === 'rejected');
      assert.ok(kept >= 3 && kept <= 4, `4 KiB hold 3 or 4 entries of 1 KB; kept ${kept}`);
      assert.equal(kept + refused.length, 10);
      for (const outcome of refused)
        assert.ok((outcome as PromiseRejectedResult).reason instanceof ThreadTooLargeError);
      assert.ok(threadByteSize((await store.load(id))!) <= 4096);
    }));
}
