import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThreadTokenCodec } from '../../../src/edge/thread-token.js';
import { newThreadId } from '../../../src/session/ids.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';

/** A codec whose HMAC computations are counted. */
function countingCodec(clock?: () => number): { codec: ThreadTokenCodec; hmacs: () => number } {
  const codec = new ThreadTokenCodec(SECRET, clock);
  const spied = codec as unknown as { signature: (threadId: string, issued: string) => string };
  const signature = spied.signature.bind(codec);
  let count = 0;
  spied.signature = (threadId, issued) => (count++, signature(threadId, issued));
  return { codec, hmacs: () => count };
}

test('a token that comes back is checked by HMAC once, then remembered; a forged one is refused every time', () => {
  const { codec, hmacs } = countingCodec();
  const threadId = newThreadId();
  const token = codec.sign(threadId);
  assert.equal(hmacs(), 1);
  for (let turn = 0; turn < 20; turn++) assert.equal(codec.verify(token)?.threadId, threadId);
  assert.equal(hmacs(), 2, 'every turn sends the same token back: one HMAC to sign, one at its first return');

  // A token signed by another process of the service: checked once, then remembered.
  const elsewhere = new ThreadTokenCodec(SECRET).sign(newThreadId());
  codec.verify(elsewhere);
  codec.verify(elsewhere);
  assert.equal(hmacs(), 3);

  const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  assert.equal(codec.verify(forged), undefined);
  assert.equal(codec.verify(forged), undefined);
  assert.equal(hmacs(), 5, 'a bad token is checked each time, never remembered');
});

test('signing remembers nothing: tokens of clients that never come back do not churn the cache', () => {
  const codec = new ThreadTokenCodec(SECRET);
  for (let i = 0; i < 100; i++) codec.sign(newThreadId());
  assert.equal((codec as unknown as { verified: Map<string, unknown> }).verified.size, 0);
});

test('the remembered tokens are bounded: the oldest are checked again by HMAC', () => {
  const { codec, hmacs } = countingCodec();
  const first = codec.sign(newThreadId());
  codec.verify(first);
  for (let i = 0; i < 5000; i++) codec.verify(codec.sign(newThreadId()));
  const before = hmacs();
  assert.ok(codec.verify(first), 'still a good token');
  assert.equal(hmacs(), before + 1, 'forgotten, so verified by HMAC');
});

test('new threads that come quickly are signed in runs, ahead of need, within the second they are issued in', () => {
  let now = 1_800_000_000_500;
  const { codec, hmacs } = countingCodec(() => now);
  const threads = Array.from({ length: 15 }, () => codec.newThread());
  assert.equal(hmacs(), 15, 'runs of 1, 2, 4 and 8: one HMAC each, no more');
  const counts: number[] = [];
  const { codec: fresh, hmacs: freshHmacs } = countingCodec(() => now);
  for (let i = 0; i < 4; i++) {
    fresh.newThread();
    counts.push(freshHmacs());
  }
  assert.deepEqual(counts, [1, 3, 3, 7], 'the third new thread took no HMAC: it was signed with the second');

  const ids = new Set(threads.map((thread) => thread.threadId));
  assert.equal(ids.size, 15, 'each a thread of its own');
  for (const { threadId, token } of threads) {
    const verified = new ThreadTokenCodec(SECRET).verify(token);
    assert.equal(verified?.threadId, threadId);
    assert.equal(verified?.issuedAt, 1_800_000_000_000);
  }

  // A new second: what was signed ahead in the last one is not handed out.
  now += 1000;
  const later = codec.newThread();
  assert.equal(new ThreadTokenCodec(SECRET).verify(later.token)?.issuedAt, 1_800_000_001_000);
  assert.equal(hmacs(), 16, 'one at a time again');
});
