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
    outage.attempt('save a thread', () => Promise.reject(tooLarge), undefined),
    (error) => error === tooLarge,
  );
  assert.deepEqual(told.slice(1), ['back'], 'the store answered: it is reachable again');
  await assert.rejects(
    outage.attempt('save a thread', () => Promise.reject(tooLarge), undefined),
    ThreadTooLargeError,
  );
  assert.equal(told.length, 2, 'refusals are not reported as outages');
});
