import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation } from '@opentelemetry/api';
import { getSessionId, getThreadId, withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { installTestTelemetry } from '../../support/otel.js';

installTestTelemetry();

test('IDs are readable after await, in timers, in promise chains and in event handlers', async () => {
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  const emitter = new EventEmitter();
  const seen: Array<string | undefined> = [];
  await withSession(ids, async () => {
    await sleep(1);
    seen.push(getSessionId());
    await new Promise<void>((resolve) => setTimeout(() => (seen.push(getThreadId()), resolve()), 1));
    await Promise.resolve().then(() => seen.push(getSessionId()));
    emitter.on('ping', () => seen.push(getSessionId()));
    await sleep(1);
    emitter.emit('ping');
  });
  assert.deepEqual(seen, [ids.sessionId, ids.threadId, ids.sessionId, ids.sessionId]);
  assert.equal(getSessionId(), undefined);
});

test('both IDs are baggage entries on the active context', () => {
  const ids = { sessionId: newSessionId(), threadId: newThreadId() };
  withSession(ids, () => {
    const baggage = propagation.getBaggage(context.active());
    assert.equal(baggage?.getEntry('session.id')?.value, ids.sessionId);
    assert.equal(baggage?.getEntry('session.thread_id')?.value, ids.threadId);
  });
});

test('1,000 concurrent interleaved sessions never see each other', async () => {
  const threads = Array.from({ length: 10 }, newThreadId);
  const mismatches: string[] = [];
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) => {
      const ids = { sessionId: newSessionId(), threadId: threads[i % threads.length] as string };
      return withSession(ids, async () => {
        for (let step = 0; step < 5; step++) {
          await sleep(Math.floor(Math.random() * 3));
          if (getSessionId() !== ids.sessionId || getThreadId() !== ids.threadId) mismatches.push(ids.sessionId);
        }
      });
    }),
  );
  assert.deepEqual(mismatches, []);
});

test('malformed IDs get a TypeError naming the kind of value, never its content', () => {
  const secret = 'sk_live_should_never_be_echoed_1234';
  const cases: Array<[unknown, RegExp]> = [
    [{ sessionId: secret, threadId: newThreadId() }, /sessionId must be a session ID .* got a string of 35 characters/],
    [{ sessionId: newSessionId(), threadId: 7 }, /threadId must be a thread ID .* got a number/],
    [{ sessionId: null, threadId: newThreadId() }, /got null/],
    [undefined, /got an? undefined/],
  ];
  for (const [ids, message] of cases) {
    assert.throws(
      () => withSession(ids as never, () => undefined),
      (error: unknown) => error instanceof TypeError && message.test(error.message) && !error.message.includes(secret),
    );
  }
});

test('outside a session there is no ID', () => {
  assert.equal(getSessionId(), undefined);
  assert.equal(getThreadId(), undefined);
});
