import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { ThreadTooLargeError } from '../../../src/thread/thread-too-large-error.js';
import { Thread } from '../../../src/thread/thread.js';

test('state.set(key, undefined) deletes the key; undefined inside a value is dropped as JSON.stringify does', async () => {
  const store = new MemoryThreadStore();
  const thread = new Thread('thrd_a', store, { state: { plan: 'pro', keep: 1 }, metadata: {} });
  await thread.state.set('plan', undefined);
  await thread.state.set('profile', { name: 'Ada', nickname: undefined, tags: ['a', undefined] });
  assert.equal(await thread.state.has('plan'), false);
  assert.deepEqual(await thread.state.get('profile'), { name: 'Ada', tags: ['a', null] });
  assert.deepEqual(thread.takeChanges(), {
    cleared: false,
    set: { profile: { name: 'Ada', tags: ['a', null] } },
    deleted: ['plan'],
  });
  await store.close();
});

test('state.push(key, undefined) appends null, as the guide does with an optional field left out; the store keeps it', async () => {
  const store = new MemoryThreadStore();
  const thread = new Thread('thrd_push', store, { state: {}, metadata: {} });
  const input: { message?: string } = {};
  await thread.state.push('messages', input.message, 20);
  await thread.state.push('messages', 'hello', 20);
  assert.deepEqual(await thread.state.get('messages'), [null, 'hello']);
  await store.save('thrd_push', thread.takeChanges());
  assert.deepEqual((await store.load('thrd_push'))?.state['messages'], [null, 'hello']);
  await store.close();
});

test('setMetadata drops entries whose value is undefined; errors name the metadata entry', async () => {
  const store = new MemoryThreadStore();
  const thread = new Thread('thrd_a', store, undefined);
  await thread.setMetadata({ userId: 'u1', plan: undefined });
  assert.deepEqual(await thread.getMetadata(), { userId: 'u1' });
  await assert.rejects(thread.setMetadata({ at: new Date(0) }), {
    name: 'TypeError',
    message: /^thread metadata "at" is not JSON: the value is a Date/,
  });
  await assert.rejects(thread.state.set('big', 10n), { name: 'TypeError', message: /^thread state "big" is not JSON/ });
  await store.close();
});

test('a value nested 100,000 deep is a TypeError at set, not a stack overflow', async () => {
  const store = new MemoryThreadStore();
  const thread = new Thread('thrd_a', store, undefined);
  let deep: unknown = 0;
  for (let level = 0; level < 100_000; level++) deep = { deep };
  await assert.rejects(thread.state.set('deep', deep), { name: 'TypeError', message: /nested deeper than 64 levels/ });
  await assert.rejects(thread.setMetadata({ deep }), { name: 'TypeError', message: /^thread metadata "deep"/ });
  await store.close();
});

test('a write past the cap in one session is refused at set with ThreadTooLargeError; smaller writes still work', async () => {
  const store = new MemoryThreadStore();
  const thread = new Thread('thrd_a', store, undefined, 1000);
  await assert.rejects(thread.state.set('big', 'x'.repeat(1000)), ThreadTooLargeError);
  await thread.state.set('small', 'fits');
  assert.deepEqual(await thread.state.keys(), ['small']);
  await store.close();
});
