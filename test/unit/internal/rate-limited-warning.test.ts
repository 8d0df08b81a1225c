import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitedWarnings, withSuppressed } from '../../../src/internal/rate-limited-warning.js';

test('each kind is written at most once per interval; the next one written carries the count suppressed', () => {
  let now = 1_000_000;
  const warnings = new RateLimitedWarnings(60_000, () => now);
  const written: Array<[string, number]> = [];
  const warn = (kind: 'malformed thread token' | 'refused metadata'): void =>
    warnings.warn(kind, (suppressed) => written.push([kind, suppressed]));

  for (let i = 0; i < 42; i++) warn('malformed thread token');
  warn('refused metadata');
  assert.deepEqual(written, [
    ['malformed thread token', 0],
    ['refused metadata', 0],
  ]);

  now += 59_999;
  warn('malformed thread token');
  assert.equal(written.length, 2, 'still within the interval');
  now += 1;
  warn('malformed thread token');
  warn('malformed thread token');
  assert.deepEqual(written.at(-1), ['malformed thread token', 42], '41 before, one more just before the minute');
  assert.equal(written.length, 3);
  now += 60_000;
  warn('refused metadata');
  assert.deepEqual(written.at(-1), ['refused metadata', 0], 'kinds count apart');
});

test('an interval of 0 writes every warning; a writer that throws fails nothing', () => {
  const warnings = new RateLimitedWarnings(0, () => 5);
  let count = 0;
  for (let i = 0; i < 3; i++) warnings.warn('rejected baggage claim', () => count++);
  assert.equal(count, 3);
  assert.doesNotThrow(() =>
    warnings.warn('rejected baggage claim', () => {
      throw new Error('logger down');
    }),
  );
});

test('withSuppressed adds the count only when there is one', () => {
  const fields = { 'session.id': 'sess_x' };
  assert.equal(withSuppressed(fields, 0), fields);
  assert.deepEqual(withSuppressed(fields, 41), { 'session.id': 'sess_x', suppressed: 41 });
});
