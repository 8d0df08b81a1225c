import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { changes, threadStoreContract } from './support/thread-store-contract.js';

const TTL = 1000;

/** A store on a clock the test moves by hand. */
function storeWithClock(): { store: MemoryThreadStore; advance: (ms: number) => void; gone: string[] } {
  let now = 1_000_000;
  const store = new MemoryThreadStore({ ttlMs: TTL, clock: () => now, sweepIntervalMs: 3_600_000 });
  const gone: string[] = [];
  store.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
  return { store, advance: (ms) => (now += ms), gone };
}

describe('MemoryThreadStore', () => {
  threadStoreContract(({ maxThreadBytes }) => new MemoryThreadStore({ maxThreadBytes }));

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
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    await store.save('thrd_b', changes({ set: { b: 1 } }));
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
    await store.save('thrd_a', changes({ set: { a: 1 } }));
    assert.equal(await store.destroy('thrd_a'), true);
    assert.equal(await store.destroy('thrd_a'), false);
    assert.equal((await store.load('thrd_a'))?.destroyed, true);
    await store.save('thrd_b', changes({ metadata: { b: 1 } }));
    advance(TTL);
    assert.equal(await store.destroy('thrd_b'), false, 'an expired thread no longer exists');
    assert.deepEqual(gone, ['thrd_a destroyed', 'thrd_b expired']);
    assert.equal(await store.load('thrd_a'), undefined, 'a destroyed thread is remembered for one TTL only');
    await store.save('thrd_a', changes({ set: { again: 1 } }));
    assert.deepEqual((await store.load('thrd_a'))?.state, { again: 1 });
    assert.deepEqual(gone, ['thrd_a destroyed', 'thrd_b expired'], 'the tombstone expires unreported');
    await store.close();
  });

  test('bounded: past maxThreads the least recently active thread is dropped and reported as expired', async () => {
    let now = 0;
    const store = new MemoryThreadStore({ maxThreads: 3, clock: () => now });
    const gone: string[] = [];
    store.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
    for (const id of ['thrd_1', 'thrd_2', 'thrd_3']) {
      now++;
      await store.save(id, changes({ set: { id } }));
    }
    now++;
    await store.load('thrd_1'); // activity: thrd_2 is now the least recently active
    now++;
    await store.touch(['thrd_3']);
    now++;
    await store.save('thrd_4', changes({ set: { id: 'thrd_4' } }));
    assert.deepEqual(gone, ['thrd_2 expired']);
    assert.equal(store.size, 3);
    assert.equal(await store.load('thrd_2'), undefined);
    assert.ok(await store.load('thrd_1'));
    now++;
    await store.save('thrd_1', changes({ set: { more: 1 } }));
    assert.deepEqual(gone, ['thrd_2 expired'], 'a save to an existing thread evicts nothing');
    await store.close();
  });

  test('10,000 sessions that write nothing leave nothing behind', async () => {
    const { store } = storeWithClock();
    for (let n = 0; n < 10_000; n++) {
      const id = `thrd_anon${n}`;
      assert.equal(await store.load(id), undefined);
      await store.touch([id]);
      await store.save(id, changes({}));
    }
    assert.equal(store.size, 0);
    await store.close();
  });

  test('close is safe twice, and stops the sweeps', async () => {
    let now = 1_000_000;
    const store = new MemoryThreadStore({ ttlMs: TTL, clock: () => now, sweepIntervalMs: 5 });
    const gone: string[] = [];
    store.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
    // While open, the sweeper removes an expired thread on its own.
    await store.save('thrd_a', changes({ set: { x: 1 } }));
    now += TTL;
    await sleep(50);
    assert.deepEqual(gone, ['thrd_a expired']);
    // Closed (twice, both resolving), it sweeps no more: an expired thread stays until met.
    await store.save('thrd_b', changes({ set: { x: 1 } }));
    now += TTL;
    await assert.doesNotReject(store.close());
    await assert.doesNotReject(store.close());
    await sleep(50);
    assert.deepEqual(gone, ['thrd_a expired']);
    assert.equal(store.size, 1);
  });
});
