import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThreadTokenCodec } from '../../../src/edge/thread-token.js';
import { newThreadId } from '../../../src/session/ids.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';

/** A codec whose HMAC computations are counted. */
function countingCodec(): { codec: ThreadTokenCodec; hmacs: () => number } {
  const codec = new ThreadTokenCodec(SECRET);
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
