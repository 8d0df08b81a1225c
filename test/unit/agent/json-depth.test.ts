import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonDepthExceeds } from '../../../src/agent/json-depth.js';

/** The nesting depth of a parsed JSON value (objects and arrays). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

test('property: jsonDepthExceeds agrees with the depth of the parsed value, strings and escapes included', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 14 }), (value, limit) => {
      const text = JSON.stringify(value);
      assert.equal(jsonDepthExceeds(text, limit), depthOf(value) > limit, text);
    }),
    { numRuns: 10_000 },
  );
});

test('brackets and escaped quotes inside strings do not count', () => {
  assert.equal(jsonDepthExceeds(JSON.stringify(['[[[{{{', '\\"[[[', 'a\\']), 1), false);
  assert.equal(jsonDepthExceeds('[[[]]]', 2), true);
  assert.equal(jsonDepthExceeds('[[[]]]', 3), false);
});
