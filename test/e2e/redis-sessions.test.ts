/**
 * Threads shared by several processes through a real redis-server (issue 6): real app
 * processes (test/e2e/apps/chat-service.ts, registered with `otel-sessions/register` and
 * OTEL_SESSIONS_REDIS_URL) behind a round-robin client; a thread continues when the client
 * sends back the `x-thread-id` header of the previous response.
 *
 * Needs `npm run build` first (the apps import `otel-sessions`, which resolves to dist/).
 * Every app process and redis-server is ended at tear-down, also when a test fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp } from './apps/start-apps.js';
import { freePorts, LOOPBACK } from './support/ports.js';
import type { ManagedProcess } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { startRoundTripProxy, type RoundTripProxy } from './support/round-trip-proxy.js';
import { waitUntil } from './support/wait.js';

const secret = randomBytes(32).toString('base64url');
const journalRoot = mkdtempSync(join(tmpdir(), 'otel-sessions-redis-e2e-'));

/** A running chat-service process. */
interface ChatApp {
  readonly name: string;
  readonly url: string;
  readonly process: ManagedProcess;
  /** The JSON log records the app wrote to stdout so far. */
  records(): Array<Record<string, unknown>>;
}

/** What one request got back. */
interface Reply {
  status: number;
  body: Record<string, unknown>;
  /** The signed thread token (`x-thread-id`) to send with the next turn. */
  token: string;
  /** The thread ID inside the token. */
  threadId: string;
}

const apps: ChatApp[] = [];

async function startChat(name: string, redisUrl: string, env: Record<string, string> = {}): Promise<ChatApp> {
  const [port] = (await freePorts(1)) as [number];
  const child = await startApp(name, './chat-service.ts', port, {
    OTEL_SESSIONS_REDIS_URL: redisUrl,
    OTEL_SESSIONS_SECRET: secret,
    OTEL_SESSIONS_JOURNAL_DIR: join(journalRoot, name),
    OTEL_SESSIONS_LOG_CONSOLE: 'true',
    ...env,
  });
  const app: ChatApp = {
    name,
    url: `http://${LOOPBACK}:${port}`,
    process: child,
    records: () =>
      child
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
  };
  apps.push(app);
  return app;
}

async function send(app: ChatApp, method: string, path: string, body: unknown, token?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['x-thread-id'] = token;
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const signed = response.headers.get('x-thread-id') ?? '';
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${app.name} ${method} ${path}: ${response.status} not JSON: ${text}`);
  }
  return { status: response.status, body: parsed, token: signed, threadId: signed.split('.')[0] ?? '' };
}

/** One chat turn: `POST /chat`, continuing the thread of `token` if given. */
function chat(app: ChatApp, message: string, token?: string): Promise<Reply> {
  return send(app, 'POST', '/chat', { message }, token);
}

function errorRecords(app: ChatApp): Array<Record<string, unknown>> {
  return app.records().filter((record) => record.level === 'error');
}

let redis: RedisServer;
let outageRedis: RedisServer;
let proxy: RoundTripProxy;
let first: ChatApp;
let second: ChatApp;
let shortTtl: ChatApp;
let outage: ChatApp;
let counted: ChatApp;

before(async () => {
  [redis, outageRedis] = await Promise.all([startRedis(), startRedis()]);
  proxy = await startRoundTripProxy(redis.port);
  [first, second, shortTtl, outage, counted] = await Promise.all([
    startChat('chat-a', redis.url),
    startChat('chat-b', redis.url),
    startChat('chat-ttl', redis.url, { OTEL_SESSIONS_THREAD_TTL_MS: '500' }),
    startChat('chat-outage', outageRedis.url),
    startChat('chat-counted', proxy.url),
  ]);
});

after(async () => {
  await Promise.all(apps.map((app) => app.process.stop(2000)));
  await proxy?.close();
  await Promise.all([redis?.close(), outageRedis?.close()]);
  rmSync(journalRoot, { recursive: true, force: true });
});

describe('sessions with threads in a real Redis, real app processes', () => {
  test('two app processes behind a round-robin client share one thread across 10 turns', async () => {
    const balancer = [first, second];
    let token: string | undefined;
    let threadId: string | undefined;
    const sessionIds = new Set<unknown>();
    for (let turn = 1; turn <= 10; turn++) {
      const app = balancer[turn % 2] as ChatApp;
      const reply = await chat(app, `message ${turn}`, token);
      assert.equal(reply.status, 200, `turn ${turn} on ${app.name}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.turns, turn, `turn ${turn} on ${app.name} sees every earlier message`);
      assert.equal(reply.body.reply, `You said: message ${turn}`);
      threadId ??= reply.threadId;
      assert.equal(reply.threadId, threadId, `turn ${turn} on ${app.name} continues the thread`);
      sessionIds.add(reply.body.sessionId);
      token = reply.token;
    }
    assert.match(threadId ?? '', /^thrd_/);
    assert.equal(sessionIds.size, 10, 'every turn is a session of its own');
    assert.deepEqual(errorRecords(first), []);
    assert.deepEqual(errorRecords(second), []);
  });

  test('concurrent sessions of one thread in two processes writing disjoint keys lose nothing (1,000 turns)', async () => {
    // A thread is stored once something is written to it: the first turn writes k0.
    const start = await send(first, 'POST', '/state/k0', { index: 0 });
    assert.equal(start.status, 200);
    const { token, threadId } = start;
    const total = 1000;
    const concurrency = 20;
    for (let base = 1; base < total; base += concurrency) {
      const replies = await Promise.all(
        Array.from({ length: Math.min(concurrency, total - base) }, (_, offset) => {
          const index = base + offset;
          return send(index % 2 === 0 ? first : second, 'POST', `/state/k${index}`, { index }, token);
        }),
      );
      for (const reply of replies) {
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.equal(reply.body.threadId, threadId, 'every turn continued the one thread');
      }
    }

    const stored = await redis.client().hgetall(`otel-sessions:{${threadId}}:state`);
    assert.equal(Object.keys(stored).length, total, 'every key is in Redis');
    for (let index = 0; index < total; index++) {
      assert.equal(stored[`k${index}`], JSON.stringify({ index }), `k${index}`);
    }
    const seen = await send(second, 'GET', '/thread', undefined, token);
    assert.equal(seen.threadId, threadId);
    assert.equal((seen.body.keys as string[]).length, total, 'a later session sees all 1,000 keys');
  });

  test('a thread idle for longer than its TTL (500 ms) is gone: the next turn starts a new, empty thread', async () => {
    const one = await chat(shortTtl, 'hello');
    const two = await chat(shortTtl, 'again', one.token);
    assert.equal(two.threadId, one.threadId);
    assert.equal(two.body.turns, 2, 'within the TTL the thread continues');
    const ttl = await redis.client().pttl(`otel-sessions:{${one.threadId}}:meta`);
    assert.ok(ttl > 0 && ttl <= 500, `the thread's keys expire within 500 ms (pttl ${ttl})`);

    // Longer than the TTL, and than the activity flush interval (1 s), so a late touch cannot revive it.
    await sleep(1200);
    const three = await chat(shortTtl, 'still there?', two.token);
    assert.equal(three.status, 200);
    assert.notEqual(three.threadId, one.threadId, 'a new thread');
    assert.equal(three.body.turns, 1, 'with empty state');
    assert.equal(await redis.client().exists(`otel-sessions:{${one.threadId}}:state`), 0);
    assert.deepEqual(errorRecords(shortTtl), []);
  });

  test('Redis stopped mid-run: requests are still served in the same thread, one error per outage, and the same token continues it once Redis is back', async () => {
    const one = await chat(outage, 'before');
    const two = await chat(outage, 'before again', one.token);
    assert.equal(two.body.turns, 2);
    assert.deepEqual(errorRecords(outage), []);

    await outageRedis.stop();
    for (let request = 0; request < 12; request++) {
      const reply = await chat(outage, `during ${request}`, two.token);
      assert.equal(reply.status, 200, `request ${request} during the outage: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.threadId, one.threadId, 'a store outage never replaces the thread');
      assert.equal(reply.body.turns, 1, 'its state could not be loaded');
      await sleep(100); // spread the requests over more than one activity flush (1 s)
    }
    const errors = errorRecords(outage);
    assert.equal(errors.length, 1, `one error for the outage, got: ${JSON.stringify(errors, null, 1)}`);
    assert.match(
      String(errors[0]?.message),
      /thread store failed.*requests are still served and threads keep their IDs/,
    );
    const notSaved = outage.records().filter((record) => /thread changes were not saved/.test(String(record.message)));
    assert.equal(notSaved.length, 1, 'one line a minute that sessions were not saved, not one per session');
    assert.ok(notSaved.every((record) => record['session.thread_id'] === one.threadId));

    await outageRedis.start();
    // The store reconnects on its own (backoff up to 1 s): the same token continues the thread
    // with what was stored before the outage (the 12 turns in between were not saved).
    let recovered: Reply | undefined;
    await waitUntil(
      async () => {
        const next = await chat(outage, 'after', two.token);
        if (next.body.turns === 3) recovered = next;
        return recovered !== undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the thread to continue after Redis restarted' },
    );
    assert.equal(recovered?.threadId, one.threadId);
    const four = await chat(outage, 'after, again', recovered?.token);
    assert.equal(four.body.turns, 4, 'threads continue across turns again');
    assert.equal(four.threadId, one.threadId);
    assert.equal(outage.process.exitStatus(), null, 'the app was never restarted');
    assert.equal(errorRecords(outage).length, 1, 'still one error: nothing more was logged as an error');
    const backAgain = outage.records().filter((record) => /reachable again/.test(String(record.message)));
    assert.equal(backAgain.length, 1, 'one record that the store is back');
  });

  test('round trips to Redis per session: at most 2 in the common case (counted through a TCP proxy)', async () => {
    // Warm up (connection, JIT) on a thread of its own, then let its activity flush pass.
    await chat(counted, 'warm-up');
    await sleep(1200);
    proxy.reset();

    const turns = 20;
    const perTurn: number[] = [];
    let token: string | undefined;
    for (let turn = 1; turn <= turns; turn++) {
      const before = proxy.roundTrips;
      const reply = await chat(counted, `counted ${turn}`, token);
      assert.equal(reply.body.turns, turn);
      perTurn.push(proxy.roundTrips - before);
      token = reply.token;
    }
    const duringTurns = proxy.roundTrips;
    await sleep(1200); // the activity processor's debounced touch of the thread
    const total = proxy.roundTrips;
    console.log(
      `redis round trips: first turn (new thread) ${perTurn[0]}, continued turns ${JSON.stringify(perTurn.slice(1))}, ` +
        `after the turns (debounced touch) ${total - duringTurns}; ${total} in all for ${turns} sessions = ${(total / turns).toFixed(2)} per session`,
    );
    assert.equal(perTurn[0], 1, 'a new thread: one round trip (save), no load');
    const continued = perTurn.slice(1).sort((a, b) => a - b);
    assert.equal(continued[Math.floor(continued.length / 2)], 2, 'a continued thread: two (load; save)');
    assert.ok(total <= 2 * turns, `at most 2 per session, touches included: ${total} for ${turns}`);
    assert.equal(total - duringTurns, 0, 'the touch after the turns renews nothing: their loads and saves did');
  });
});
