import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keySlot } from '../../../src/thread/redis-key-slot.js';

// Expected slots as CLUSTER KEYSLOT answers them (Redis 7.0.15, a cluster-enabled node).

test('keySlot is CRC16 (XMODEM) mod 16384, as in the Redis Cluster specification', () => {
  assert.equal(keySlot('123456789'), 12739); // the specification's example: CRC16 0x31C3
  assert.equal(keySlot('foo'), 12182);
  assert.equal(keySlot('bar'), 5061);
  assert.equal(keySlot('somekey'), 11058);
  assert.equal(keySlot(''), 0);
});

test('keySlot hashes the hash tag only: the bytes between the first { and the next }, when not empty', () => {
  assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
  assert.equal(keySlot('{user1000}.followers'), keySlot('user1000'));
  assert.equal(keySlot('foo{}{bar}'), 8363, 'an empty first tag: the whole key is hashed');
  assert.equal(keySlot('foo{{bar}}zap'), 4015, 'the tag runs from the first { to the next }: "{bar"');
  assert.equal(keySlot('{bar'), 4015);
  assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar'), 'only the first tag counts');
  assert.equal(keySlot('no tag {here'), 4645, 'no closing }: the whole key');
  assert.equal(keySlot('otel-sessions:{thrd_é✓}:state'), 16361, 'UTF-8 bytes');
  assert.equal(keySlot('thrd_é✓'), 16361);
});
