import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import type { ThreadChanges } from '../../../src/thread/thread-store.js';

const TTL = 1000;

/** A store on a clock the test moves by hand. */
function storeWithClock(): { store: MemoryThreadStore; advance: (ms: number) => void; gone: string[] } {
  let now = 1_000_000;
  const store = new MemoryThreadStore({ ttlMs: TTL, clock: () => now, sweepIntervalMs: 3_600_000 });
  const gone: string[] = [];
  store.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
  return { store, advance: (ms) => (now += ms), gone };
}

function changes(partial: Partial<ThreadChanges>): ThreadChanges {
  return { cleared: false, set: {}, deleted: [], ...partial };
}

describe('MemoryThreadStore', () => {
  test('load of an unknown thread is undefined; save creates it', async () => {
    const { store } = storeWithClock();
    assert.equal(await store.load('thrd_a'), undefined);
    await store.save('thrd_a', changes({ set: { x: 1 }, metadata: { m: 'v' } }));
    assert.deepEqual(await store.load('thrd_a'), { state: { x: 1 }, metadata: { m: 'v' } });
    await store.close();
  });

  test('applies changes key by key: cleared, then deleted, then set; metadata only when given', async () => {
    const { store } = storeWithClock();
    await store.save('thrd_a', changes({ set: { a: 1, b: 2, c: 3 }, metadata: { m: 1 } }));
    await store.save('thrd_a', changes({ set: { d: 4 }, deleted: ['a'] }));
    assert.deepEqual(await store.load('thrd_a'), { state: { b: 2, c: 3, d: 4 }, metadata: { m: 1 } });
    await store.save('thrd_a', changes({ cleared: true, set: { e: 5 } }));
    assert.deepEqual(await store.load('thrd_a'), { state: { e: 5 }, metadata: { m: 1 } });
    await store.close();
  });

  test('a load hands out a copy: changing it does not change the store', async () => {
    const { store } = storeWithClock();
    await store.save('thrd_a', changes({ set: { list: [1] } }));
    const snapshot = await store.load('thrd_a');
    (snapshot?.state['list'] as number[]).push(2);
    assert.deepEqual((await store.load('thrd_a'))?.state, { list: [1] });
    await store.close();
  });

  test('a thread expires exactly ttl after its last activity, and onGone reports it', async () => {
    const { store, advance, gone } = storeWithClock();
    await store.save('thrd_a', changes({ set: { x: 1 } }));
    advance(TTL - 1);
    assert.ok(await store.load('thrd_a'), 'alive 1 ms before the ttl (and the load is activity)');
    advance(TTL - 1);
    store.sweep();
    assert.deepEqual(gone, []);
    advance(1);
    store.sweep();
    assert.deepEqual(gone, ['thrd_a expired'], 'gone exactly ttl after the last activity');
    assert.equal(await store.load('thrd_a'), undefined);
    await store.close();
  });

  test('an expired thread is gone for load even before a sweep, and a save starts it afresh', async () => {
    const { store, advance, gone } = storeWithClock();
    await store.save('thrd_a', changes({ set: { old: 1 }, metadata: { m: 1 } }));
    advance(TTL);
    await store.save('thrd_a', changes({ set: { new: 2 } }));
    assert.deepEqual(await store.load('thrd_a'), { state: { new: 2 }, metadata: {} });
    assert.deepEqual(gone, ['thrd_a expired']);
    await store.close();
  });

  test('touch extends live threads and ignores unknown ones', async () => {
    const { store, advance } = storeWithClock();
    await store.save('thrd_a', changes({}));
    await store.save('thrd_b', changes({}));
    advance(TTL - 10);
    await store.touch(['thrd_a', 'thrd_unknown']);
    advance(10);
    assert.ok(await store.load('thrd_a'), 'touched: alive');
    assert.equal(await store.load('thrd_b'), undefined, 'not touched: expired');
    assert.equal(await store.load('thrd_unknown'), undefined, 'touch creates nothing');
    await store.close();
  });

  test('destroy removes the thread, reports it, and resolves whether it existed', async () => {
    const { store, advance, gone } = storeWithClock();
    await store.save('thrd_a', changes({}));
    assert.equal(await store.destroy('thrd_a'), true);
    assert.equal(await store.destroy('thrd_a'), false);
    assert.equal(await store.load('thrd_a'), undefined);
    await store.save('thrd_b', changes({}));
    advance(TTL);
    assert.equal(await store.destroy('thrd_b'), false, 'an expired thread no longer exists');
    assert.deepEqual(gone, ['thrd_a destroyed', 'thrd_b expired']);
    await store.close();
  });

  test('close is safe twice', async () => {
    const { store } = storeWithClock();
    await store.close();
    await store.close();
  });
});
