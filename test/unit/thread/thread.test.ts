import assert from 'node:assert/strict';
import { test } from 'node:test';
import Transport from 'winston-transport';
import { createLogger } from '../../../src/logging/create-logger.js';
import { setLogger } from '../../../src/runtime-config.js';
import { closeSession, openSession } from '../../../src/session-lifecycle.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { ThreadTooLargeError } from '../../../src/thread/thread-too-large-error.js';
import { Thread } from '../../../src/thread/thread.js';

/** Log records written through the runtime's logger. */
const logged: Array<Record<string, unknown>> = [];
class Capture extends Transport {
  override log(info: Record<string, unknown>, next: () => void): void {
    logged.push(info);
    next();
  }
}
setLogger(createLogger({ console: false, transports: [new Capture()] }));

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

test('8 concurrent sessions each writing 300 KiB to one thread: the store refuses what passes 1 MiB, the session logs it, the thread stays writable', async () => {
  const store = new MemoryThreadStore({ maxThreadBytes: 1024 * 1024 });
  const first = await openSession({ store });
  await first.thread.state.set('start', true);
  await closeSession(first, undefined, { refuseSensitiveMetadata: true });
  const threadId = first.thread.id;

  const sessions = await Promise.all(Array.from({ length: 8 }, () => openSession({ store, threadId })));
  const big = 'x'.repeat(300 * 1024);
  // Each session alone is well within the cap, so every set passes its own early check.
  await Promise.all(sessions.map((session, n) => session.thread.state.set(`part${n}`, big)));
  logged.length = 0;
  await Promise.all(sessions.map((session) => closeSession(session, undefined, { refuseSensitiveMetadata: true })));

  const stored = await store.load(threadId);
  assert.equal(Object.keys(stored?.state ?? {}).length, 1 + 3, 'start and three parts of 300 KiB');
  const refusals = logged.filter((record) =>
    String(record['message']).startsWith("The session's thread changes were not saved"),
  );
  assert.equal(refusals.length, 5);
  assert.equal(refusals[0]?.['session.thread_id'], threadId);
  assert.equal(refusals[0]?.['maxThreadBytes'], 1024 * 1024);
  assert.ok((refusals[0]?.['threadBytes'] as number) > 1024 * 1024);
  assert.equal(
    logged.filter((record) => String(record['message']).includes('thread store failed')).length,
    0,
    'a refusal is not reported as a store outage',
  );

  const later = await openSession({ store, threadId });
  assert.equal(later.thread.id, threadId);
  await later.thread.state.set('note', 'small writes still work');
  await closeSession(later, undefined, { refuseSensitiveMetadata: true });
  assert.equal((await store.load(threadId))?.state['note'], 'small writes still work');
  await store.close();
});

test('a session that writes nothing leaves no thread in the store', async () => {
  const store = new MemoryThreadStore();
  for (let n = 0; n < 100; n++) {
    const session = await openSession({ store, threadId: `thrd_unknown${n}` });
    await session.thread.state.get('anything');
    await closeSession(session, undefined, { refuseSensitiveMetadata: true });
  }
  assert.equal(store.size, 0);
  await store.close();
});
