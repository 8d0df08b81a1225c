import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { DEFAULT_THREAD_TTL_MS, threadTtlOf, type ThreadStore } from '../../../src/thread/thread-store.js';

/** A store of one's own: the contract without `ttlMs`, or with the given one. */
function ownStore(ttlMs?: number): ThreadStore {
  return {
    ...(ttlMs === undefined ? {} : { ttlMs }),
    load: async () => undefined,
    save: async () => {},
    touch: async () => {},
    destroy: async () => false,
    close: async () => {},
  };
}

test("a store's TTL is its own ttlMs; a store without one (or a bad one) is taken to keep threads an hour", async () => {
  const memory = new MemoryThreadStore({ ttlMs: 90_000 });
  assert.equal(memory.ttlMs, 90_000);
  assert.equal(threadTtlOf(memory), 90_000);
  const plain = new MemoryThreadStore();
  assert.equal(threadTtlOf(plain), DEFAULT_THREAD_TTL_MS);
  assert.equal(threadTtlOf(ownStore(5000)), 5000);
  assert.equal(threadTtlOf(ownStore()), DEFAULT_THREAD_TTL_MS);
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
    assert.equal(threadTtlOf(ownStore(bad)), DEFAULT_THREAD_TTL_MS);
  await Promise.all([memory.close(), plain.close()]);
});
