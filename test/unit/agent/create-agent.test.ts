import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { z } from 'zod';
import { AgentInputError, createAgent } from '../../../src/agent/create-agent.js';
import { getSessionId, withSession } from '../../../src/session/context.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import type { ThreadDestroyedEvent } from '../../../src/thread/thread.js';
import { installTestTelemetry, TEST_SECRET } from '../../support/otel.js';
import { RateLimitedWarnings } from '../../../src/internal/rate-limited-warning.js';
import { createLogger } from '../../../src/logging/create-logger.js';
import { createRuntime, setRuntime } from '../../../src/runtime/runtime.js';

let now = 1_000_000;
const store = new MemoryThreadStore({ ttlMs: 1000, clock: () => now });
const telemetry = installTestTelemetry({ store });

test('waitUntil work runs inside the session after run() returns; completed fires after it', async () => {
  const order: string[] = [];
  let backgroundSession: string | undefined;
  let release!: () => void;
  const agent = createAgent('Background', {
    handler: async (ctx) => {
      ctx.session.addEventListener('completed', () => order.push('completed'));
      ctx.waitUntil(async () => {
        await new Promise<void>((resolve) => (release = resolve));
        backgroundSession = getSessionId();
        trace.getTracer('test').startSpan('background').end();
        await ctx.thread.state.set('summary', 'written later');
        order.push('background done');
      });
      return { sessionId: ctx.sessionId, threadId: ctx.thread.id };
    },
  });
  const result = await agent.run({});
  order.push('run returned');
  release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(order, ['run returned', 'background done', 'completed']);
  assert.equal(backgroundSession, result.sessionId);
  const background = telemetry.spans.getFinishedSpans().find((span) => span.name === 'background');
  assert.equal(background?.attributes['session.id'], result.sessionId);
  assert.deepEqual(
    (await store.load(result.threadId))?.state,
    { summary: 'written later' },
    'background writes are saved',
  );
});

test("destroyed fires on thread.destroy() and on expiry, once each; the thread's state is gone", async () => {
  const events: ThreadDestroyedEvent[] = [];
  const agent = createAgent('Threads', {
    handler: async (ctx, input: { destroy: boolean }) => {
      await ctx.thread.state.set('k', 1);
      ctx.thread.addEventListener('destroyed', (event) => events.push(event));
      if (input.destroy) await ctx.thread.destroy();
      return ctx.thread.id;
    },
  });
  const destroyed = await agent.run({ destroy: true });
  const expiring = await agent.run({ destroy: false });
  await new Promise((resolve) => setTimeout(resolve, 10));
  now += 1000; // the TTL: the next sweep finds it expired
  store.sweep();
  assert.deepEqual(events, [
    { threadId: destroyed, reason: 'destroyed' },
    { threadId: expiring, reason: 'expired' },
  ]);
  assert.equal(await store.load(expiring), undefined);
});

test('thread state refuses non-JSON values with a TypeError naming the key; the store stays clean', async () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const errors: string[] = [];
  const agent = createAgent('Json', {
    handler: async (ctx) => {
      for (const [key, value] of [
        ['fn', () => 1],
        ['big', 10n],
        ['loop', cycle],
      ] as const) {
        await ctx.thread.state.set(key, value).catch((error: Error) => errors.push(`${error.name}: ${error.message}`));
      }
      await ctx.thread.state.set('ok', { fine: [1, 'two'] });
      return ctx.thread.id;
    },
  });
  const threadId = await agent.run({});
  assert.equal(errors.length, 3);
  for (const [index, key] of ['fn', 'big', 'loop'].entries())
    assert.match(errors[index] as string, new RegExp(`TypeError: .*"${key}"`));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual((await store.load(threadId))?.state, { ok: { fine: [1, 'two'] } });
});

test('schema.input rejects bad input with AgentInputError; an output schema is enforced', async () => {
  const agent = createAgent('Typed', {
    schema: { input: z.object({ n: z.number() }), output: z.object({ doubled: z.number() }) },
    handler: async (_ctx, input) => ({ doubled: input.n * 2 }),
  });
  assert.deepEqual(await agent.run({ n: 2 }), { doubled: 4 });
  await assert.rejects(agent.run({ n: 'two' } as never), AgentInputError);
  const liar = createAgent('Liar', {
    schema: { output: z.object({ doubled: z.number() }) },
    handler: async () => ({ doubled: 'no' }) as never,
  });
  await assert.rejects(liar.run({}), /output its schema rejects/);
});

test('a thread grown past its size cap gets a RangeError at set', async () => {
  const agent = createAgent('Big', {
    handler: async (ctx) => ctx.thread.state.set('blob', 'x'.repeat(2 * 1024 * 1024)),
  });
  await assert.rejects(agent.run({}), RangeError);
});

test('inside withSession, agent.run joins that session and its thread: same IDs, state carried across turns', async () => {
  telemetry.spans.reset();
  const remember = createAgent('Remember', {
    handler: async (ctx, input: { message: string }) => {
      await ctx.thread.state.push('messages', input.message, 20);
      return { sessionId: ctx.sessionId, threadId: ctx.thread.id, messages: await ctx.thread.state.get('messages') };
    },
  });
  const threadId = newThreadId();
  for (const [turn, message] of ['one', 'two', 'three'].entries()) {
    const sessionId = newSessionId();
    const answer = await withSession({ sessionId, threadId }, () => remember.run({ message }));
    assert.equal(answer.sessionId, sessionId, 'the session withSession set');
    assert.equal(answer.threadId, threadId);
    assert.deepEqual(answer.messages, ['one', 'two', 'three'].slice(0, turn + 1));
  }
  await telemetry.tracerProvider.forceFlush();
  const sessionIds = new Set(telemetry.spans.getFinishedSpans().map((span) => span.attributes['session.id']));
  assert.equal(sessionIds.size, 3, 'three sessions, not six');
});

test('a handler can tell that its thread state could not be loaded (the store is down): the flag is set, nothing is saved', async () => {
  const down = new MemoryThreadStore();
  let reachable = true;
  const load = down.load.bind(down);
  down.load = async (threadId) => {
    if (!reachable) throw new Error('store down');
    return load(threadId);
  };
  const saw: Array<{ unavailable: boolean; count: unknown }> = [];
  const counter = createAgent('Counter', {
    handler: async (ctx) => {
      const count = ((await ctx.thread.state.get('count')) as number | undefined) ?? 0;
      saw.push({ unavailable: ctx.thread.stateUnavailable, count });
      await ctx.thread.state.set('count', count + 1);
      return ctx.thread.id;
    },
  });
  const previous = telemetry.runtime;
  setRuntime(
    createRuntime({
      threadStore: down,
      logger: createLogger({ console: false }),
      secret: TEST_SECRET,
      warnings: new RateLimitedWarnings(0),
    }),
  );
  try {
    const threadId = newThreadId();
    const turn = (): Promise<string> => withSession({ sessionId: newSessionId(), threadId }, () => counter.run({}));
    await turn();
    reachable = false;
    await turn();
    reachable = true;
    await turn();
    assert.deepEqual(saw, [
      { unavailable: false, count: 0 },
      { unavailable: true, count: 0 },
      { unavailable: false, count: 1 },
    ]);
  } finally {
    setRuntime(previous);
  }
});
