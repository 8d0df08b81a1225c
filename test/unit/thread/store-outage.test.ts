import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreOutage } from '../../../src/thread/store-outage.js';
import { ThreadStoreUnavailableError } from '../../../src/thread/store-unavailable-error.js';
import { ThreadTooLargeError } from '../../../src/thread/thread-too-large-error.js';

test('an outage is reported once and answered with the fallback; a refusal for size is rethrown, not an outage', async () => {
  const told: string[] = [];
  const outage = new StoreOutage({ down: (message) => told.push(`down: ${message}`), back: () => told.push('back') });
  const unavailable = (): Promise<string> => Promise.reject(new ThreadStoreUnavailableError('otel-sessions: gone'));
  assert.equal(await outage.attempt('load a thread', unavailable, 'fallback'), 'fallback');
  assert.equal(await outage.attempt('load a thread', unavailable, 'fallback'), 'fallback');
  assert.equal(told.length, 1);
  assert.match(told[0] ?? '', /^down: otel-sessions: the thread store failed to load a thread \(gone\)/);

  const tooLarge = new ThreadTooLargeError('thrd_a', 2000, 1000);
  await assert.rejects(
    outage.attempt('load a thread', () => Promise.reject(tooLarge), undefined),
    (error) => error === tooLarge,
  );
  assert.deepEqual(told.slice(1), ['back'], 'the store answered: it is reachable again');
  await assert.rejects(
    outage.attempt('save a thread', () => Promise.reject(tooLarge), undefined),
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
    assert.equal(await outage.attempt('load a thread', loaded, false), true);
    assert.equal(await outage.attempt('save a thread', unavailable, false), false);
  }
  assert.deepEqual(told, ['down'], '20 requests: one message, no false recovery');
  await outage.attempt('save a thread', () => Promise.resolve(true), false);
  assert.deepEqual(told, ['down', 'back'], 'back once saves work again');
});
