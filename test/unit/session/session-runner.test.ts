import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import Transport from 'winston-transport';
import { RateLimitedWarnings } from '../../../src/internal/rate-limited-warning.js';
import { createLogger } from '../../../src/logging/create-logger.js';
import { createRuntime } from '../../../src/runtime/runtime.js';
import { runSession } from '../../../src/session/session-runner.js';
import type { Session } from '../../../src/session/session.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { ThreadStoreUnavailableError } from '../../../src/thread/store-unavailable-error.js';
import type { ThreadStore } from '../../../src/thread/thread-store.js';
import { installTestTelemetry, TEST_SECRET } from '../../support/otel.js';

const telemetry = installTestTelemetry();

/** Log records written through the runtime's logger. */
const logged: Array<Record<string, unknown>> = [];
class Capture extends Transport {
  override log(info: Record<string, unknown>, next: () => void): void {
    logged.push(info);
    next();
  }
}

function runtimeWith(store: ThreadStore, warnings?: RateLimitedWarnings) {
  const logger = createLogger({ console: false, transports: [new Capture()] });
  return createRuntime({ threadStore: store, logger, secret: TEST_SECRET, warnings });
}

/** Eight sessions writing 300 KiB each to one thread at once, all written before any saves; resolves with the thread. */
async function eightAtOnce(runtime: ReturnType<typeof runtimeWith>): Promise<string> {
  const threadId = await turn(runtime, undefined, (session) => session.thread.state.set('start', true));
  let arrived = 0;
  let allArrived!: () => void;
  const barrier = new Promise<void>((resolve) => (allArrived = resolve));
  const big = 'x'.repeat(300 * 1024);
  logged.length = 0;
  await Promise.all(
    Array.from({ length: 8 }, (_, n) =>
      turn(runtime, threadId, async (session) => {
        await session.thread.state.set(`part${n}`, big);
        if (++arrived === 8) allArrived();
        await barrier;
      }),
    ),
  );
  return threadId;
}

/** One turn of a conversation: a session continuing `threadId` (when given) that runs `work`. */
function turn(
  runtime: ReturnType<typeof runtimeWith>,
  threadId: string | undefined,
  work: (session: Session) => Promise<void>,
): Promise<string> {
  return runSession({
    runtime,
    parentContext: ROOT_CONTEXT,
    threadId,
    refuseSensitiveMetadata: true,
    rootSpan: { name: 'turn', options: {} },
    work: async (session) => {
      await work(session);
      return session.thread.id;
    },
  });
}

test('8 concurrent sessions each writing 300 KiB to one thread: the store refuses what passes 1 MiB, the session logs it, the thread stays writable', async () => {
  const store = new MemoryThreadStore({ maxThreadBytes: 1024 * 1024 });
  // Every refusal logged (no rate limit), to count them.
  const runtime = runtimeWith(store, new RateLimitedWarnings(0));
  // Every session has written before any of them saves: each alone is well within the cap.
  const threadId = await eightAtOnce(runtime);

  const stored = await store.load(threadId);
  assert.equal(Object.keys(stored?.state ?? {}).length, 1 + 3, 'start and three parts of 300 KiB');
  const refusals = logged.filter((record) =>
    String(record['message']).startsWith("The session's thread changes were not saved"),
  );
  assert.equal(refusals.length, 5);
  assert.equal(refusals[0]?.['session.thread_id'], threadId);
  assert.equal(refusals[0]?.['maxThreadBytes'], 1024 * 1024);
  assert.ok((refusals[0]?.['threadBytes'] as number) > 1024 * 1024);
  assert.equal(
    logged.filter((record) => String(record['message']).includes('thread store failed')).length,
    0,
    'a refusal is not reported as a store outage',
  );

  const later = await turn(runtime, threadId, (session) => session.thread.state.set('note', 'small writes still work'));
  assert.equal(later, threadId);
  assert.equal((await store.load(threadId))?.state['note'], 'small writes still work');
  await store.close();
});

test('refused thread saves are logged at most once a minute: five refusals, one record', async () => {
  const store = new MemoryThreadStore({ maxThreadBytes: 1024 * 1024 });
  await eightAtOnce(runtimeWith(store));
  const refusals = logged.filter((record) =>
    String(record['message']).startsWith("The session's thread changes were not saved"),
  );
  assert.equal(refusals.length, 1);
  assert.equal(refusals[0]?.['suppressed'], undefined, 'the first of its kind suppressed nothing before it');
  await store.close();
});

test('a session that writes nothing leaves no thread in the store', async () => {
  const store = new MemoryThreadStore();
  const runtime = runtimeWith(store);
  for (let n = 0; n < 100; n++) {
    await turn(runtime, undefined, async (session) => {
      await session.thread.state.get('anything');
    });
  }
  assert.equal(store.size, 0);
  await store.close();
});

/** A memory store that can be switched off: every call then rejects as an unreachable store's would. */
class FlakyStore implements ThreadStore {
  down = false;
  readonly inner = new MemoryThreadStore();
  private check(): void {
    if (this.down) throw new ThreadStoreUnavailableError('otel-sessions: thread store unreachable (test)');
  }
  load: ThreadStore['load'] = async (id) => (this.check(), this.inner.load(id));
  save: ThreadStore['save'] = async (id, changes) => (this.check(), this.inner.save(id, changes));
  touch: ThreadStore['touch'] = async (ids) => (this.check(), this.inner.touch(ids));
  destroy: ThreadStore['destroy'] = async (id) => (this.check(), this.inner.destroy(id));
  close = (): Promise<void> => this.inner.close();
}

test('a session that writes nothing to its thread does not call the store to save', async () => {
  const store = new FlakyStore();
  const saves: string[] = [];
  const save = store.save;
  store.save = async (id, changes) => (saves.push(id), save(id, changes));
  const runtime = runtimeWith(store);
  const threadId = await turn(runtime, undefined, (session) => session.thread.state.set('turns', 1));
  assert.deepEqual(saves, [threadId]);
  // Reads only, on a new thread and on the stored one: no save; the stored thread is kept.
  await turn(runtime, undefined, async (session) => void (await session.thread.state.get('turns')));
  await turn(runtime, threadId, async (session) => void (await session.thread.state.get('turns')));
  await runtime.running.waitForRunningSessions(5000);
  assert.deepEqual(saves, [threadId]);
  assert.equal((await store.inner.load(threadId))?.state.turns, 1);
});

test('a store outage never replaces a thread: same ID, state marked unavailable, writes reported once per session, continued after', async () => {
  const store = new FlakyStore();
  const runtime = runtimeWith(store);
  const threadId = await turn(runtime, undefined, (session) => session.thread.state.set('turns', 1));

  store.down = true;
  logged.length = 0;
  telemetry.spans.reset();
  const seen: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    const during = await runSession({
      runtime,
      parentContext: ROOT_CONTEXT,
      threadId,
      refuseSensitiveMetadata: true,
      rootSpan: { name: 'outage turn', options: {} },
      work: async (session) => {
        seen.push(await session.thread.state.get('turns'));
        await session.thread.state.set('turns', 99);
        session.waitUntil(async () => session.thread.state.set('later', true));
        return session.thread.id;
      },
    });
    assert.equal(during, threadId, 'the thread keeps its ID while the store is down');
  }
  await runtime.running.waitForRunningSessions(5000); // the waitUntil saves
  assert.deepEqual(seen, [undefined, undefined, undefined], 'the state could not be loaded');
  const roots = telemetry.spans.getFinishedSpans().filter((span) => span.name === 'outage turn');
  assert.equal(roots.length, 3);
  for (const root of roots) {
    assert.equal(root.attributes['session.thread_state_unavailable'], true);
    assert.equal(root.attributes['session.thread_state_unsaved'], true, 'each session says its writes were lost');
  }
  const notSaved = logged.filter((record) => /thread changes were not saved/.test(String(record.message)));
  assert.equal(notSaved.length, 1, 'one line a minute for 3 sessions (and their waitUntil saves), not one each');
  assert.equal(notSaved[0]?.['session.thread_id'], threadId);
  const outage = logged.filter((record) => record.level === 'error');
  assert.equal(outage.length, 1, 'the outage itself is told once');
  assert.match(String(outage[0]?.message), /threads keep their IDs/);

  store.down = false;
  let after: unknown;
  const back = await turn(runtime, threadId, async (session) => {
    after = await session.thread.state.get('turns');
  });
  assert.equal(back, threadId);
  assert.equal(after, 1, 'the stored state is back, untouched by the writes made during the outage');
  assert.equal(await store.inner.load(threadId).then((snapshot) => snapshot?.state.later), undefined);
});

test('a new thread whose save fails during an outage reports its writes as not saved', async () => {
  const store = new FlakyStore();
  const runtime = runtimeWith(store);
  store.down = true;
  logged.length = 0;
  await turn(runtime, undefined, (session) => session.thread.state.set('x', 1));
  await turn(runtime, undefined, async () => undefined);
  const notSaved = logged.filter((record) =>
    /thread changes were not saved: the thread store is unavailable/.test(String(record.message)),
  );
  assert.equal(notSaved.length, 1, 'only the session that wrote something');
});
