import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LazyThreadStore } from '../../../src/thread/lazy-thread-store.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { StoreOutage } from '../../../src/thread/store-outage.js';
import { ThreadStoreUnavailableError } from '../../../src/thread/store-unavailable-error.js';

const ID = 'thrd_BBBBBBBBBBBBBBBBBBBBBBBB';
const nothing = { cleared: false, set: {}, deleted: [] };

test('the store is made at the first load, writing save or destroy; touch and empty saves never make it', async () => {
  let made = 0;
  const lazy = new LazyThreadStore(() => (made++, new MemoryThreadStore()));
  const gone: string[] = [];
  lazy.onGone((threadId, reason) => gone.push(`${threadId} ${reason}`));
  await lazy.touch([ID]);
  await lazy.save(ID, nothing);
  assert.equal(made, 0);
  await lazy.save(ID, { ...nothing, set: { a: 1 } });
  assert.equal(made, 1);
  assert.deepEqual((await lazy.load(ID))?.state, { a: 1 });
  assert.equal(await lazy.destroy(ID), true);
  assert.deepEqual(gone, [`${ID} destroyed`], 'listeners added before it was made are attached to it');
  assert.equal(made, 1);
  const other = new LazyThreadStore(() => (made++, new MemoryThreadStore()));
  assert.equal(await other.destroy(ID), false);
  assert.equal(made, 2, 'destroy makes it: the store remembers a destroyed thread');
  assert.equal((await other.load(ID))?.destroyed, true);
  await other.close();
  await lazy.close();
});

/** A lazy store whose first `failures` makes throw `message`, then made in memory; `attempts()` counts the makes. */
function failingFirst(failures: number, message: string): { lazy: LazyThreadStore; attempts: () => number } {
  let attempts = 0;
  const lazy = new LazyThreadStore(() => {
    if (++attempts <= failures) throw new Error(message);
    return new MemoryThreadStore();
  });
  return { lazy, attempts: () => attempts };
}

test('a store that cannot be made fails each call as unavailable, and is tried again', async () => {
  const { lazy, attempts } = failingFirst(1, 'EACCES: permission denied');
  await assert.rejects(
    lazy.load(ID),
    (error: Error) => error instanceof ThreadStoreUnavailableError && /EACCES/.test(error.message),
  );
  assert.equal(await lazy.load(ID), undefined);
  assert.equal(attempts(), 2);
  await lazy.close();
});

test('a store that cannot be made is not reported back by a touch or an empty save: one outage message, no flapping', async () => {
  const { lazy, attempts } = failingFirst(Infinity, 'EACCES: permission denied');
  const messages: string[] = [];
  const outage = new StoreOutage({
    down: (message) => messages.push(`down: ${message}`),
    back: (m) => messages.push(`back: ${m}`),
  });
  for (let turn = 0; turn < 3; turn++) {
    await outage.attempt('load a thread', 'read', () => lazy.load(ID), undefined);
    await outage.attempt('mark thread activity', 'write', () => lazy.touch([ID]), undefined);
    await outage.attempt('save a thread', 'write', () => lazy.save(ID, nothing), undefined);
  }
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0] ?? '', /^down: .*could not be opened.*EACCES/);
  assert.equal(attempts(), 9, 'each call tries to make the store again');
  await lazy.close();
});

test('a touch after a failed make, once the store can be made, makes it and reports it back', async () => {
  const { lazy } = failingFirst(1, 'ENOSPC: no space left on device');
  const messages: string[] = [];
  const outage = new StoreOutage({ down: () => messages.push('down'), back: () => messages.push('back') });
  await outage.attempt('load a thread', 'read', () => lazy.load(ID), undefined);
  await outage.attempt('mark thread activity', 'write', () => lazy.touch([ID]), undefined);
  assert.equal(lazy.made, true);
  assert.deepEqual(messages, ['down'], 'back only once loads, which failed, work again');
  await outage.attempt('load a thread', 'read', () => lazy.load(ID), undefined);
  assert.deepEqual(messages, ['down', 'back']);
  await lazy.close();
});

test('the lazy store keeps the TTL and hands it to the store it makes', async () => {
  const lazy = new LazyThreadStore((ttlMs) => new MemoryThreadStore({ ttlMs }), 90_000);
  assert.equal(lazy.ttlMs, 90_000, 'known before the store is made');
  await lazy.save(ID, { ...nothing, set: { a: 1 } });
  assert.equal(lazy.ttlMs, 90_000);
  assert.equal(new LazyThreadStore(() => new MemoryThreadStore()).ttlMs, 60 * 60 * 1000, 'one hour unless given');
  await lazy.close();
});
