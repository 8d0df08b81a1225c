import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreOutage } from '../../../src/thread/store-outage.js';
import { ThreadStoreUnavailableError } from '../../../src/thread/store-unavailable-error.js';
import { ThreadTooLargeError } from '../../../src/thread/thread-too-large-error.js';

test('an outage is reported once and answered with the fallback; a refusal for size is rethrown, not an outage', async () => {
  const told: string[] = [];
  const outage = new StoreOutage({ down: (message) => told.push(`down: ${message}`), back: () => told.push('back') });
  const unavailable = (): Promise<string> => Promise.reject(new ThreadStoreUnavailableError('otel-sessions: gone'));
  assert.equal(await outage.attempt('load a thread', 'read', unavailable, 'fallback'), 'fallback');
  assert.equal(await outage.attempt('load a thread', 'read', unavailable, 'fallback'), 'fallback');
  assert.equal(told.length, 1);
  assert.match(told[0] ?? '', /^down: otel-sessions: the thread store failed to load a thread \(gone\)/);

  const tooLarge = new ThreadTooLargeError('thrd_a', 2000, 1000);
  await assert.rejects(
    outage.attempt('load a thread', 'read', () => Promise.reject(tooLarge), undefined),
    (error) => error === tooLarge,
  );
  assert.deepEqual(told.slice(1), ['back'], 'the store answered: it is reachable again');
  await assert.rejects(
    outage.attempt('save a thread', 'write', () => Promise.reject(tooLarge), undefined),
    ThreadTooLargeError,
  );
  assert.equal(told.length, 2, 'refusals are not reported as outages');
});

test('a store that still reads but cannot write (a full disk, a lock held too long) is not "back" at each load', async () => {
  const told: string[] = [];
  const outage = new StoreOutage({ down: () => told.push('down'), back: () => told.push('back') });
  const unavailable = (): Promise<boolean> =>
    Promise.reject(new ThreadStoreUnavailableError('otel-sessions: disk full'));
  const loaded = (): Promise<boolean> => Promise.resolve(true);
  for (let request = 0; request < 20; request++) {
    assert.equal(await outage.attempt('load a thread', 'read', loaded, false), true);
    assert.equal(await outage.attempt('save a thread', 'write', unavailable, false), false);
  }
  assert.deepEqual(told, ['down'], '20 requests: one message, no false recovery');
  await outage.attempt('save a thread', 'write', () => Promise.resolve(true), false);
  assert.deepEqual(told, ['down', 'back'], 'back once saves work again');
});

test('a store that tracks its own health (a Redis Cluster with one master down) is not "back" while it says it is unavailable, however many calls work', async () => {
  const told: string[] = [];
  let available = false;
  const outage = new StoreOutage({ down: () => told.push('down'), back: () => told.push('back') }, () => available);
  const down = (): Promise<boolean> => Promise.reject(new ThreadStoreUnavailableError('otel-sessions: slot down'));
  const works = (): Promise<boolean> => Promise.resolve(true);
  for (let turn = 0; turn < 10; turn++) {
    await outage.attempt('load a thread', 'read', turn % 2 === 0 ? down : works, false);
    await outage.attempt('save a thread', 'write', turn % 2 === 0 ? down : works, false);
  }
  assert.deepEqual(told, ['down'], 'calls on healthy masters do not end the outage');
  available = true;
  await outage.attempt('load a thread', 'read', works, false);
  await outage.attempt('save a thread', 'write', works, false);
  assert.deepEqual(told, ['down', 'back']);
});
