// The CLI's Jaeger source is bounded: answers capped in size, requests capped in parallel,
// one timeout for a whole request (body included) reported as a timeout, answers checked for shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../../../src/cli/cli-error.js';
import { JaegerSource } from '../../../../src/cli/sources/jaeger.js';

const json = (data: unknown): Response => new Response(JSON.stringify({ data }), { status: 200 });

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CliError, `a CliError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the call to fail');
}

test('an answer past maxAnswerBytes stops the search with a message saying how to narrow it', async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(64 * 1024).fill(32));
    },
  });
  const source = new JaegerSource('http://jaeger.test', {
    fetch: async () => new Response(endless, { status: 200 }),
    maxAnswerBytes: 1024 * 1024,
  });
  const message = await failure(source.recentSpans({ sinceMs: 0, service: 'svc' }));
  assert.match(message, /more than 1 MiB; narrow the search/);
  assert.ok(pulled <= 20, `read ${pulled} chunks of 64 KiB past a 1 MiB cap`);
});

test('a search over many services runs at most `parallel` requests at once', async () => {
  let running = 0;
  let most = 0;
  const source = new JaegerSource('http://jaeger.test', {
    parallel: 4,
    fetch: async (input) => {
      const url = new URL(String(input));
      if (url.pathname.endsWith('/services')) return json(Array.from({ length: 50 }, (_, i) => `svc-${i}`));
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
      return json([]);
    },
  });
  assert.deepEqual(await source.recentSpans({ sinceMs: 0 }), []);
  assert.equal(most, 4);
});

test('an answer that stalls after its headers is reported as a timeout', async () => {
  const source = new JaegerSource('http://jaeger.test', {
    timeoutMs: 200,
    fetch: async (_input, init) => {
      const stalled = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"data":['));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(stalled, { status: 200 });
    },
  });
  // AbortSignal.timeout's timer is unref'd, and this stand-in has no socket: without a ref'd
  // timer, Node 22's test runner would cancel the test as idle.
  const keepAlive = setTimeout(() => undefined, 5000);
  try {
    const message = await failure(source.recentSpans({ sinceMs: 0, service: 'svc' }));
    assert.match(message, /did not answer \/api\/traces within 0.2 s \(timed out\)/);
  } finally {
    clearTimeout(keepAlive);
  }
});

test('an answer of the wrong shape gets a clear message, not an internal error', async () => {
  const source = new JaegerSource('http://jaeger.test', { fetch: async () => json('svc') });
  const message = await failure(source.recentSpans({ sinceMs: 0 }));
  assert.match(message, /answered \/api\/services in a shape it does not have/);
});
