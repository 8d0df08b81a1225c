/**
 * Sessions per second through one process with the memory, SQLite (a file in a temporary
 * folder) and Redis (a real redis-server on loopback) thread stores, side by side; store
 * calls per session for each, and Redis round trips per session (counted by a TCP proxy).
 *
 * One Hono app per store with `sessions({ threadStore })`, driven in-process with
 * `app.request()`: every session continues a thread (the common case: load at the start,
 * save at the end) and pushes a message onto its state, like examples/app.ts's agent.
 * LANES sessions are in flight at once, each lane continuing a thread of its own. The
 * stores run interleaved, round by round; medians and their ratios are printed, and what a
 * session costs the Redis server (its CPU and the commands it runs, from INFO). No
 * OpenTelemetry SDK is registered, so this is the thread store's cost alone (the debounced
 * activity touches, at most one pipeline per second per process, are counted by
 * test/e2e/redis-sessions.test.ts).
 *
 * Starts and stops its own redis-server (test/e2e/support/redis.ts); skips with a note
 * when redis-server is not installed.
 *
 *   node --import tsx bench/thread-stores.ts   (or `npm run bench` for every benchmark)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { SessionsEnv } from '../src/hono/env.js';
import { sessions } from '../src/hono/sessions-middleware.js';
import { MemoryThreadStore } from '../src/thread/memory-thread-store.js';
import { RedisThreadStore } from '../src/thread/redis-thread-store.js';
import { SqliteThreadStore } from '../src/thread/sqlite-thread-store.js';
import type { ThreadChanges, ThreadSnapshot, ThreadStore } from '../src/thread/thread-store.js';
import {
  BenchCheckError,
  fmt,
  interleave,
  medianOf,
  medianRatio,
  runIfMain,
  spread,
  verdict,
  type Variant,
} from './support/measure.js';

const ROUNDS = 9;
const PER_ROUND = 2_000;
const CHUNK = 500;
/** Sessions in flight at once, each continuing its own thread. */
const LANES = 32;
/** Sessions counted through the round-trip proxy, one after another. */
const COUNTED_SESSIONS = 200;
const TARGET_ROUND_TRIPS = 2;
const SECRET = 'bench-thread-stores-secret-0123456789abcdef';

/** A Hono app on `store`, and one thread token per lane. */
interface Target {
  readonly app: Hono<SessionsEnv>;
  readonly tokens: string[];
}

/** A Hono app on `store` whose `POST /chat` pushes the message onto its thread's state, as examples/app.ts's agent does. */
export function buildApp(store: ThreadStore): Hono<SessionsEnv> {
  const app = new Hono<SessionsEnv>();
  app.use(sessions({ threadStore: store, secret: SECRET }));
  app.post('/chat', async (c) => {
    const { message } = await c.req.json<{ message: string }>();
    await c.var.thread.state.push('messages', message, 20);
    const messages = await c.var.thread.state.get('messages');
    return c.json({ reply: `You said: ${message}`, turns: Array.isArray(messages) ? messages.length : 0 });
  });
  return app;
}

/** One session: a chat turn continuing the thread of `token`. Returns the turns and the new token. */
export async function turn(
  app: Hono<SessionsEnv>,
  token: string | undefined,
): Promise<{ turns: number; token: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['x-thread-id'] = token;
  const response = await app.request('/chat', { method: 'POST', headers, body: JSON.stringify({ message: 'hello' }) });
  if (response.status !== 200)
    throw new BenchCheckError(`session answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { turns: number };
  // A response gives the token only when it is new or signed again: keep the one held.
  return { turns: body.turns, token: response.headers.get('x-thread-id') ?? token ?? '' };
}

/** Builds the app, opens one thread per lane, and checks that sessions continue them. */
async function prepare(name: string, store: ThreadStore): Promise<Target> {
  const app = buildApp(store);
  const tokens: string[] = [];
  for (let lane = 0; lane < LANES; lane++) {
    const first = await turn(app, undefined);
    const second = await turn(app, first.token);
    if (first.turns !== 1 || second.turns !== 2 || second.token !== first.token)
      throw new BenchCheckError(
        `${name}: a session did not continue its thread (turns ${first.turns}, ${second.turns})`,
      );
    tokens.push(second.token);
  }
  return { app, tokens };
}

/** `n` sessions, LANES at a time, each lane continuing its own thread. */
async function runSessions(target: Target, n: number): Promise<void> {
  let next = 0;
  const lane = async (index: number): Promise<void> => {
    while (next < n) {
      next++;
      await turn(target.app, target.tokens[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, n) }, (_, index) => lane(index)));
}

/** A store that counts the calls made to it (load, save, touch, destroy). */
class CountingStore implements ThreadStore {
  calls = 0;
  constructor(private readonly inner: ThreadStore) {}
  load(threadId: string): Promise<ThreadSnapshot | undefined> {
    this.calls++;
    return this.inner.load(threadId);
  }
  save(threadId: string, changes: ThreadChanges): Promise<void> {
    this.calls++;
    return this.inner.save(threadId, changes);
  }
  touch(threadIds: readonly string[]): Promise<void> {
    this.calls++;
    return this.inner.touch(threadIds);
  }
  destroy(threadId: string): Promise<boolean> {
    this.calls++;
    return this.inner.destroy(threadId);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Store calls per session over COUNTED_SESSIONS sessions continuing one thread. */
async function callsPerSession(name: string, store: ThreadStore): Promise<number> {
  const counting = new CountingStore(store);
  const target = await prepare(name, counting);
  counting.calls = 0;
  for (let index = 0; index < COUNTED_SESSIONS; index++) await turn(target.app, target.tokens[0]);
  return counting.calls / COUNTED_SESSIONS;
}

/** The Redis server's CPU time so far (user + system, µs) and the commands it ran (those of scripts included). */
async function redisUsage(client: {
  info(section: string): Promise<string>;
}): Promise<{ cpuMicros: number; commands: number }> {
  const cpu = await client.info('cpu');
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  const stats = await client.info('commandstats');
  let commands = 0;
  for (const match of stats.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) commands += Number(match[1]);
  return { cpuMicros: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6, commands };
}

/** Runs the benchmark and prints its figures. */
export async function main(): Promise<void> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.log('thread-stores: skipped: redis-server is not installed (bash scripts/setup-redis.sh installs it)');
    return;
  }
  // Loaded here so that a machine without redis-server never loads them.
  const { startRedis } = await import('../test/e2e/support/redis.js');
  const { startRoundTripProxy } = await import('../test/e2e/support/round-trip-proxy.js');

  const redis = await startRedis();
  const proxy = await startRoundTripProxy(redis.port);
  const memoryStore = new MemoryThreadStore();
  const sqliteDir = mkdtempSync(join(tmpdir(), 'otel-sessions-bench-threads-'));
  const sqliteStore = new SqliteThreadStore({ dir: sqliteDir });
  const redisStore = new RedisThreadStore({ url: redis.url });
  const countedStore = new RedisThreadStore({ url: proxy.url, keyPrefix: 'bench-counted:' });
  try {
    // Round trips per session, counted by a TCP proxy in front of Redis.
    const counted = await prepare('redis (counted)', countedStore);
    const token = counted.tokens[0];
    proxy.reset();
    let turns = 0;
    for (let index = 0; index < COUNTED_SESSIONS; index++) turns = (await turn(counted.app, token)).turns;
    const roundTrips = proxy.roundTrips / COUNTED_SESSIONS;
    if (turns !== 20) throw new BenchCheckError(`redis (counted): the thread did not continue (turns ${turns})`);

    const memoryCalls = await callsPerSession('memory (counted)', new MemoryThreadStore());
    const sqliteCountedDir = join(sqliteDir, 'counted');
    const sqliteCounted = new SqliteThreadStore({ dir: sqliteCountedDir });
    const sqliteCalls = await callsPerSession('sqlite (counted)', sqliteCounted);
    await sqliteCounted.close();

    const memory = await prepare('memory', memoryStore);
    const sqlite = await prepare('sqlite', sqliteStore);
    const redisTarget = await prepare('redis', redisStore);
    const client = redis.client();
    const stored = await client.hlen(`otel-sessions:{${redisTarget.tokens[0]?.split('.')[0]}}:state`);
    if (stored !== 1) throw new BenchCheckError(`redis: the thread's state is not in Redis (${stored} keys)`);

    const variants: Variant[] = [
      { name: 'memory', run: (n) => runSessions(memory, n) },
      { name: 'sqlite', run: (n) => runSessions(sqlite, n) },
      { name: 'redis', run: (n) => runSessions(redisTarget, n) },
    ];
    const redisBefore = await redisUsage(client);
    const results = await interleave(variants, { rounds: ROUNDS, perRound: PER_ROUND, chunk: CHUNK });
    const redisAfter = await redisUsage(client);
    // Every Redis session of the run (the warm-up rounds' too): what one costs the Redis server.
    const redisSessions = (ROUNDS + 2) * PER_ROUND;
    const redisCpuMicros = (redisAfter.cpuMicros - redisBefore.cpuMicros) / redisSessions;
    const redisCommands = (redisAfter.commands - redisBefore.commands) / redisSessions;
    const perSecond = (name: string): string => Math.round(1e9 / medianOf(results, name)).toLocaleString('en-US');
    const slowdown = medianRatio(results, 'redis', 'memory');
    const sqliteSlowdown = medianRatio(results, 'sqlite', 'memory');

    console.log(
      `thread-stores: sessions per second through one process (in-process app.request(), ${LANES} in flight, each continuing a thread; median of ${ROUNDS} rounds of ${PER_ROUND})`,
    );
    console.log(
      `  memory store                 ${perSecond('memory').padStart(8)} sessions/s   spread ${fmt(spread(results, 'memory'))}`,
    );
    console.log(
      `  sqlite store (local file)    ${perSecond('sqlite').padStart(8)} sessions/s   spread ${fmt(spread(results, 'sqlite'))}`,
    );
    console.log(
      `  redis store (loopback)       ${perSecond('redis').padStart(8)} sessions/s   spread ${fmt(spread(results, 'redis'))}`,
    );
    console.log(
      `  sqlite / memory time per session ${fmt(sqliteSlowdown)}x   (sqlite throughput ${fmt(100 / sqliteSlowdown)}% of memory)`,
    );
    console.log(
      `  redis / memory time per session ${fmt(slowdown)}x   (redis throughput ${fmt(100 / slowdown)}% of memory)`,
    );
    console.log(
      `  store calls per session        memory ${fmt(memoryCalls)}, sqlite ${fmt(sqliteCalls)} (the calls of one event-loop turn share transactions; no network)`,
    );
    console.log(
      `  redis round trips per session  ${fmt(roundTrips)}   (${COUNTED_SESSIONS} sessions continuing one thread, counted by a TCP proxy; ${verdict(roundTrips, TARGET_ROUND_TRIPS)})`,
    );
    console.log(
      `  redis server per session       ${fmt(redisCpuMicros)} µs of CPU, ${fmt(redisCommands)} commands (the scripts' own included; one Redis core then serves about ${Math.round(1e6 / redisCpuMicros).toLocaleString('en-US')} sessions/s)`,
    );
    if (roundTrips > TARGET_ROUND_TRIPS) throw new BenchCheckError(`redis: ${fmt(roundTrips)} round trips per session`);
  } finally {
    await Promise.all([memoryStore.close(), sqliteStore.close(), redisStore.close(), countedStore.close()]);
    rmSync(sqliteDir, { recursive: true, force: true });
    await proxy.close();
    await redis.close();
  }
}

runIfMain(import.meta.url, main);
