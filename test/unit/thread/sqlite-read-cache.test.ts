import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ABSENT, snapshotOf, SqliteReadCache, type StoredThread } from '../../../src/thread/sqlite-read-cache.js';

/** A stored thread of one state key whose JSON text is `characters` long. */
function threadOf(characters: number): StoredThread {
  return { state: new Map([['k', `"${'x'.repeat(characters - 2)}"`]]), metadata: '{}', expiresAt: 1 };
}

test('another connection having written (a new data_version) empties the cache; the same version keeps it', () => {
  const cache = new SqliteReadCache();
  cache.validate(1);
  cache.set('thrd_a', ABSENT);
  cache.validate(1);
  assert.equal(cache.get('thrd_a'), ABSENT);
  cache.validate(2);
  assert.equal(cache.get('thrd_a'), undefined);
  assert.equal(cache.size, 0);
});

test('at most 4,096 threads: the least recently used goes first, a read counting as a use', () => {
  const cache = new SqliteReadCache();
  for (let n = 0; n < 4096; n++) cache.set(`thrd_${n}`, ABSENT);
  assert.equal(cache.get('thrd_0'), ABSENT); // used: now the most recent
  cache.set('thrd_new', ABSENT);
  assert.equal(cache.size, 4096);
  assert.equal(cache.peek('thrd_0'), ABSENT);
  assert.equal(cache.peek('thrd_1'), undefined, 'the least recently used was kept');
});

test('at most 4 Mi characters of JSON: large threads push the oldest out, and one over an eighth of it is not kept', () => {
  const cache = new SqliteReadCache();
  const eighth = (4 * 1024 * 1024) / 8;
  for (let n = 0; n < 9; n++) cache.set(`thrd_${n}`, threadOf(eighth - 100));
  assert.equal(cache.size, 8, 'nine threads of nearly an eighth each fit eight at a time');
  assert.equal(cache.peek('thrd_0'), undefined);
  cache.set('thrd_huge', threadOf(eighth + 1));
  assert.equal(cache.peek('thrd_huge'), undefined);
  assert.equal(cache.size, 8);
  // Replacing an entry counts its new size, not both.
  for (let n = 0; n < 20; n++) cache.set('thrd_8', threadOf(eighth - 100));
  assert.equal(cache.size, 8);
});

test('a snapshot is parsed afresh each time: what an app changes in it stays its own', () => {
  const stored: StoredThread = {
    state: new Map([
      ['list', '[1,2]'],
      ['__proto__', '{"a":1}'],
    ]),
    metadata: '{"userId":"u1"}',
    expiresAt: 1,
  };
  const first = snapshotOf(stored);
  (first.state['list'] as number[]).push(3);
  first.metadata['userId'] = 'changed';
  const second = snapshotOf(stored);
  assert.deepEqual(second.state['list'], [1, 2]);
  assert.deepEqual(second.metadata, { userId: 'u1' });
  assert.ok(Object.hasOwn(second.state, '__proto__'), 'a key named "__proto__" stays a plain key');
});
