import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedisThreadStore } from '../../../src/thread/redis-thread-store.js';

// Checked at construction, before any client is made (these stores connect to nothing).

test('cluster and url together are refused', () => {
  assert.throws(() => new RedisThreadStore({ url: 'redis://a:6379', cluster: ['redis://b:7000'] }), {
    name: 'TypeError',
    message: 'RedisThreadStore: give url (one Redis) or cluster (the nodes of a Redis Cluster), not both',
  });
});

test('cluster needs at least one redis:// or rediss:// URL', () => {
  assert.throws(() => new RedisThreadStore({ cluster: [] }), {
    name: 'TypeError',
    message: 'RedisThreadStore: cluster needs the URL of at least one node',
  });
  assert.throws(() => new RedisThreadStore({ cluster: ['redis://a:7000', 'b:7001'] }), {
    name: 'TypeError',
    message: 'RedisThreadStore: cluster: not a redis:// or rediss:// URL: b:7001',
  });
  assert.throws(() => new RedisThreadStore({ cluster: ['http://a:7000'] }), /not a redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => new RedisThreadStore({ cluster: ['http://user:secret@a:7000'] }), {
    message: 'RedisThreadStore: cluster: not a redis:// or rediss:// URL: http://***@a:7000',
  });
});
