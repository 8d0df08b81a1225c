import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ID_LENGTH, isSessionId, isThreadId, newSessionId, newThreadId } from '../../../src/session/ids.js';

test('new IDs have their prefix, a fixed length and a URL-safe alphabet', () => {
  const session = newSessionId();
  const thread = newThreadId();
  assert.match(session, /^sess_[A-Za-z0-9_-]{24}$/);
  assert.match(thread, /^thrd_[A-Za-z0-9_-]{24}$/);
  assert.equal(session.length, ID_LENGTH);
  assert.ok(isSessionId(session) && !isThreadId(session));
  assert.ok(isThreadId(thread) && !isSessionId(thread));
});

test('new IDs do not repeat', () => {
  const seen = new Set(Array.from({ length: 10_000 }, newSessionId));
  assert.equal(seen.size, 10_000);
});

test('validators reject everything that is not exactly the format', () => {
  const good = newSessionId();
  for (const bad of [
    good + 'x',
    good.slice(0, -1),
    good.replace('sess_', 'SESS_'),
    good.slice(0, -1) + '=',
    good.slice(0, -1) + '\u00e9',
    ' ' + good.slice(1),
    undefined,
    null,
    42,
    {},
    [good],
  ]) {
    assert.equal(isSessionId(bad), false, `accepted ${String(bad)}`);
  }
});

test('property: only prefix + 24 URL-safe characters is a session ID', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 64 }), (text) => {
      assert.equal(isSessionId(text), /^sess_[A-Za-z0-9_-]{24}$/.test(text));
      assert.equal(isSessionId('sess_' + text), /^[A-Za-z0-9_-]{24}$/.test(text));
    }),
    { numRuns: 10_000 },
  );
});
