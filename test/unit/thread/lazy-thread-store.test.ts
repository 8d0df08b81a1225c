import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LazyThreadStore } from '../../../src/thread/lazy-thread-store.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
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

test('a store that cannot be made fails each call as unavailable, and is tried again', async () => {
  let attempts = 0;
  const lazy = new LazyThreadStore(() => {
    if (++attempts === 1) throw new Error('EACCES: permission denied');
    return new MemoryThreadStore();
  });
  await assert.rejects(
    lazy.load(ID),
    (error: Error) => error instanceof ThreadStoreUnavailableError && /EACCES/.test(error.message),
  );
  assert.equal(await lazy.load(ID), undefined);
  assert.equal(attempts, 2);
  await lazy.close();
});
