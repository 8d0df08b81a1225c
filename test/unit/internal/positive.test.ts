import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positiveInteger, positiveNumber } from '../../../src/internal/positive.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';

test('positive options pass through; anything else is a RangeError naming the option and the value', () => {
  assert.equal(positiveInteger('Store: ttlMs', 5), 5);
  assert.equal(positiveNumber('otel-sessions: spool maxBytes', 0.5), 0.5);
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(() => positiveInteger('Store: ttlMs', bad), {
      name: 'RangeError',
      message: `Store: ttlMs must be a positive integer, got ${bad}`,
    });
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(() => positiveNumber('otel-sessions: spool maxBytes', bad), {
      message: `otel-sessions: spool maxBytes must be a positive number, got ${bad}`,
    });
  assert.throws(() => new MemoryThreadStore({ ttlMs: 0 }), {
    message: 'MemoryThreadStore: ttlMs must be a positive integer, got 0',
  });
});
