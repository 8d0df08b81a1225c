import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { getSessionScope, withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { runSession } from '../../../src/session/session-runner.js';
import type { Session } from '../../../src/session/session.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { StoreOutage } from '../../../src/thread/store-outage.js';
import { ThreadStoreUnavailableError } from '../../../src/thread/store-unavailable-error.js';
import type { ThreadStore } from '../../../src/thread/thread-store.js';
import { installTestTelemetry } from '../../support/otel.js';

let now = 1_000_000;
const store = new MemoryThreadStore({ ttlMs: 60 * 60 * 1000, clock: () => now });
const touches: string[][] = [];
const countingStore: ThreadStore = Object.assign(Object.create(store) as ThreadStore, {
  touch: (ids: readonly string[]) => (touches.push([...ids]), store.touch(ids)),
});
const telemetry = installTestTelemetry({ store: countingStore });
const tracer = trace.getTracer('test');
const HOUR = 60 * 60 * 1000;

test('a thread lives until one hour after its LAST activity, background work included', async () => {
  const threadId = newThreadId();
  await store.save(threadId, { cleared: false, set: { turn: 1 }, deleted: [] });
  now += 50 * 60 * 1000; // 50 minutes later, a background job runs in the thread
  withSession({ sessionId: newSessionId(), threadId }, () => tracer.startSpan('background job').end());
  await telemetry.activity.forceFlush();
  now += 50 * 60 * 1000; // 100 minutes after the save, 50 after the job
  assert.deepEqual((await store.load(threadId))?.state, { turn: 1 });
  now += HOUR; // an hour of silence
  assert.equal(await store.load(threadId), undefined);
});

test('activity is debounced: one store call for many spans in many threads', async () => {
  await telemetry.activity.forceFlush();
  touches.length = 0;
  const threads = [newThreadId(), newThreadId(), newThreadId()];
  for (let i = 0; i < 3000; i++) {
    withSession({ sessionId: newSessionId(), threadId: threads[i % 3] as string }, () =>
      tracer.startSpan('work').end(),
    );
  }
  await telemetry.activity.forceFlush();
  assert.equal(touches.length, 1);
  assert.deepEqual(new Set(touches[0]), new Set(threads));
});

test('a failing store never throws into the span path: its failure is contained and reported once', async () => {
  const asked: string[][] = [];
  const failing = Object.assign(Object.create(store) as ThreadStore, {
    touch: (ids: readonly string[]) => (asked.push([...ids]), Promise.reject(new Error('store down'))),
  });
  const reports: string[] = [];
  const { ThreadActivitySpanProcessor } = await import('../../../src/processors/thread-activity-span-processor.js');
  const processor = new ThreadActivitySpanProcessor({
    store: failing,
    flushIntervalMs: 60_000,
    outage: new StoreOutage({ down: (message) => reports.push(message), back: (message) => reports.push(message) }),
  });
  const markActivity = (threadId: string): void =>
    withSession({ sessionId: newSessionId(), threadId }, () => {
      const span = tracer.startSpan('x');
      processor.onStart(span as never, context.active());
      span.end();
    });
  const first = newThreadId();
  markActivity(first);
  await assert.doesNotReject(processor.forceFlush());
  assert.deepEqual(asked, [[first]], 'the store was asked to mark the thread');
  assert.equal(reports.length, 1);
  assert.match(reports[0] ?? '', /the thread store failed to mark thread activity \(store down\)/);
  // The processor goes on marking after the failure; the same outage is not reported again.
  const second = newThreadId();
  markActivity(second);
  await assert.doesNotReject(processor.forceFlush());
  assert.deepEqual(asked, [[first], [second]]);
  assert.equal(reports.length, 1);
});

test("the timed flush runs outside the session that marked first: what the store logs then is not that session's", async () => {
  const sessionsSeen: Array<string | undefined> = [];
  const watching = Object.assign(Object.create(store) as ThreadStore, {
    touch: (ids: readonly string[]) => (sessionsSeen.push(getSessionScope()?.sessionId), store.touch(ids)),
  });
  const { ThreadActivitySpanProcessor } = await import('../../../src/processors/thread-activity-span-processor.js');
  const processor = new ThreadActivitySpanProcessor({ store: watching, flushIntervalMs: 1 });
  const sessionId = newSessionId();
  withSession({ sessionId, threadId: newThreadId() }, () => {
    const span = tracer.startSpan('x');
    processor.onStart(span as never, context.active());
    span.end();
  });
  for (let waited = 0; sessionsSeen.length === 0 && waited < 5000; waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(sessionsSeen, [undefined], `the flush ran in session ${sessionsSeen[0]}`);
});

/** One turn: a session continuing `threadId` (or starting a thread) that starts a span and runs `work`; resolves with its thread. */
function turn(
  threadId: string | undefined,
  work: (session: Session) => Promise<void> = async () => {},
): Promise<string> {
  return runSession({
    runtime: telemetry.runtime,
    parentContext: ROOT_CONTEXT,
    threadId,
    refuseSensitiveMetadata: false,
    rootSpan: { name: 'turn', options: {} },
    work: async (session) => {
      tracer.startSpan('step').end();
      await work(session);
      return session.thread.id;
    },
  });
}

test('a thread the store does not hold is not renewed; once saved, its activity is', async () => {
  await telemetry.activity.forceFlush();
  touches.length = 0;
  // New threads that save nothing (clients that never send their token back): nothing to renew.
  const unsaved = [await turn(undefined), await turn(undefined)];
  // A new thread that saves: the save renews it. Its next turn loads it, and is renewed.
  const saved = await turn(undefined, (session) => session.thread.state.set('turn', 1));
  await telemetry.activity.forceFlush();
  const firstFlush = touches.flat();
  await turn(saved);
  await telemetry.activity.forceFlush();
  const secondFlush = touches.flat().slice(firstFlush.length);
  for (const threadId of unsaved) assert.ok(!firstFlush.includes(threadId), `${threadId} was renewed`);
  assert.ok(!firstFlush.includes(saved), 'the saving turn renewed a thread its own save had just written');
  assert.deepEqual(secondFlush, [saved]);
  assert.deepEqual((await store.load(saved))?.state, { turn: 1 });
});

test('a thread whose store could not be asked is renewed all the same', async () => {
  await telemetry.activity.forceFlush();
  touches.length = 0;
  const threadId = newThreadId();
  const { load } = countingStore;
  countingStore.load = () => Promise.reject(new ThreadStoreUnavailableError('store down'));
  try {
    assert.equal(await turn(threadId), threadId);
  } finally {
    countingStore.load = load;
  }
  await telemetry.activity.forceFlush();
  assert.deepEqual(touches.flat(), [threadId]);
});
