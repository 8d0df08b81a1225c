/**
 * Memory (issue 15, part 5): bytes per idle stored thread, for each thread store, and bytes
 * per in-flight session. Measured in a child process started with `--expose-gc`: the heap
 * after `global.gc()` before and after N = 10,000 of them, divided by N. The child runs
 * under `registerSessions` (spans and logs to a journal in a temporary folder), and flushes
 * it before each reading, so that no batch queue is counted.
 *
 *   idle thread         one session through `sessions({ threadStore })` (in-process
 *                       `app.request()`, bench/thread-stores.ts's app) that pushed one message
 *                       onto thread state, then nothing: what the store keeps. Memory store:
 *                       this process's heap. SQLite store: the database file's growth on
 *                       disk (closed, so the WAL is checkpointed into it). Redis store:
 *                       redis-server's `used_memory` (INFO memory), and this process's heap
 *                       beside it.
 *   in-flight session   N requests held inside their handler at once (each awaits one gate):
 *                       a plain Hono app against the same app with `sessions()`; the
 *                       difference is the session's share (its Session, Thread, contexts,
 *                       headers and root span; behind the http instrumentation that root span
 *                       is the server span a bare OTel app has too).
 * Redis is started as bench/thread-stores.ts does (test/e2e/support/redis.ts); without
 * redis-server that row is skipped with a note.
 *
 *   node --import tsx bench/memory.ts      (or `npm run bench` for every benchmark)
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { SessionsEnv } from '../src/hono/env.js';
import { BenchCheckError, runIfMain } from './support/measure.js';

const N = 10_000;
/** Untimed, unmeasured ones first, so that lazily built code and caches are not counted. */
const WARMUP = 500;
/** Sessions in flight at once while threads are filled. */
const LANES = 32;
const CHILD_FLAG = 'BENCH_MEMORY_CHILD';

interface Figure {
  label: string;
  bytes: number;
  note: string;
}

/** Exports everything ended so far (the registered runtime's flush). */
let settle: () => Promise<void> = () => Promise.resolve();

/** The heap in use after a flush and full collections. */
async function heapAfterGc(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new BenchCheckError('memory: run with --expose-gc');
  await settle();
  for (let i = 0; i < 3; i++) {
    gc();
    await yieldToEventLoop();
  }
  return process.memoryUsage().heapUsed;
}

/** `n` new threads, one session each, LANES at a time; returns their thread IDs. */
async function fillThreads(app: Hono<SessionsEnv>, n: number): Promise<string[]> {
  const { turn } = await import('./thread-stores.js');
  const ids: string[] = [];
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < n) {
      started++;
      const { turns, token } = await turn(app, undefined);
      if (turns !== 1) throw new BenchCheckError(`memory: a new thread saw ${turns} messages`);
      ids.push(token.split('.')[0]!);
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  return ids;
}

async function idleThreads(redisUrl: string | undefined): Promise<Figure[]> {
  const { buildApp, turn } = await import('./thread-stores.js');
  const { MemoryThreadStore } = await import('../src/thread/memory-thread-store.js');
  const figures: Figure[] = [];

  const memory = new MemoryThreadStore();
  const memoryApp = buildApp(memory);
  await turn(memoryApp, undefined);
  await fillThreads(memoryApp, WARMUP);
  const before = await heapAfterGc();
  const ids = await fillThreads(memoryApp, N);
  const after = await heapAfterGc();
  if ((await memory.load(ids[N - 1]!)) === undefined)
    throw new BenchCheckError('memory: the memory store lost a thread');
  figures.push({
    label: 'idle stored thread, memory store',
    bytes: (after - before) / N,
    note: 'heap; one message in thread state',
  });
  await memory.close();

  figures.push(await sqliteThreads());

  if (redisUrl === undefined) return figures;
  const { RedisThreadStore } = await import('../src/thread/redis-thread-store.js');
  const { Redis } = await import('ioredis');
  const admin = new Redis(redisUrl);
  const redis = new RedisThreadStore({ url: redisUrl, keyPrefix: 'bench-memory:' });
  try {
    const redisApp = buildApp(redis);
    // One first, alone: the store connects before the lanes start.
    await turn(redisApp, undefined);
    await fillThreads(redisApp, WARMUP);
    const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    const keysBefore = await admin.dbsize();
    const serverBefore = await usedMemory();
    const heapBefore = await heapAfterGc();
    await fillThreads(redisApp, N);
    const heapAfter = await heapAfterGc();
    const serverAfter = await usedMemory();
    const keys = (await admin.dbsize()) - keysBefore;
    if (keys < N) throw new BenchCheckError(`memory: redis holds ${keys} new keys for ${N} threads`);
    figures.push({
      label: 'idle stored thread, redis store',
      bytes: (serverAfter - serverBefore) / N,
      note: `redis-server used_memory (${keys / N} keys a thread); this process's heap ${Math.round((heapAfter - heapBefore) / N)} B`,
    });
  } finally {
    await redis.close();
    admin.disconnect();
  }
  return figures;
}

/** Bytes on disk per idle stored thread in a SQLite store: the file (WAL checkpointed at close) before and after N. */
async function sqliteThreads(): Promise<Figure> {
  const { buildApp, turn } = await import('./thread-stores.js');
  const { SqliteThreadStore } = await import('../src/thread/sqlite-thread-store.js');
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-bench-sqlite-'));
  const onDisk = (): number =>
    ['threads.sqlite', 'threads.sqlite-wal'].reduce((sum, name) => {
      try {
        return sum + statSync(join(dir, name)).size;
      } catch {
        return sum;
      }
    }, 0);
  try {
    // Closing the last connection checkpoints the WAL into the file: measured closed.
    const warm = new SqliteThreadStore({ dir });
    const warmApp = buildApp(warm);
    await turn(warmApp, undefined);
    await fillThreads(warmApp, WARMUP);
    await warm.close();
    const before = onDisk();
    const store = new SqliteThreadStore({ dir });
    const ids = await fillThreads(buildApp(store), N);
    if ((await store.load(ids[N - 1]!)) === undefined)
      throw new BenchCheckError('memory: the SQLite store lost a thread');
    await store.close();
    const after = onDisk();
    return {
      label: 'idle stored thread, SQLite store',
      bytes: (after - before) / N,
      note: `bytes on disk (threads.sqlite, WAL checkpointed); one message in thread state`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Hono app whose handler reads the JSON body and then waits at a gate the measurement opens. */
async function gatedApp(
  withSessions: boolean,
): Promise<{ app: Hono<SessionsEnv>; entered: () => number; open: () => void }> {
  const { sessions } = await import('../src/hono.js');
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let entered = 0;
  const app = new Hono<SessionsEnv>();
  if (withSessions) app.use(sessions({ secret: 'bench-memory-secret-0123456789abcdef' }));
  app.post('/chat', async (c) => {
    const { message } = await c.req.json<{ message: string }>();
    entered++;
    await gate;
    return c.json({ reply: `You said: ${message}` });
  });
  return { app, entered: () => entered, open };
}

/** Bytes per request held in flight, N at once (after a smaller unmeasured round). */
async function bytesInFlight(withSessions: boolean): Promise<number> {
  let bytes = NaN;
  for (const n of [WARMUP, N]) {
    const { app, entered, open } = await gatedApp(withSessions);
    const before = await heapAfterGc();
    const pending = Array.from({ length: n }, () =>
      Promise.resolve(
        app.request('/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'hi' }),
        }),
      ),
    );
    while (entered() < n) await sleep(5);
    bytes = ((await heapAfterGc()) - before) / n;
    open();
    for (const response of await Promise.all(pending)) {
      if (response.status !== 200) throw new BenchCheckError(`memory: a held request answered ${response.status}`);
      if (withSessions && !response.headers.get('x-session-id')?.startsWith('sess_'))
        throw new BenchCheckError('memory: a held request was not a session');
    }
  }
  return bytes;
}

async function inFlightSessions(): Promise<Figure[]> {
  const plain = await bytesInFlight(false);
  const withSessions = await bytesInFlight(true);
  return [
    { label: 'in-flight request, plain Hono', bytes: plain, note: 'heap; app.request(), held in the handler' },
    { label: 'in-flight request, sessions()', bytes: withSessions, note: 'the same, with the sessions middleware' },
    { label: 'in-flight session', bytes: withSessions - plain, note: 'the difference: the session’s share' },
  ];
}

/** In the child: registers the runtime, measures, and sends the figures to the parent. */
async function child(): Promise<void> {
  const { registerSessions } = await import('../src/runtime/register-sessions.js');
  const journalDir = mkdtempSync(join(tmpdir(), 'otel-sessions-bench-memory-'));
  const otel = registerSessions({ journalDir, logToConsole: false, flushOnExit: false });
  settle = () => otel.forceFlush();
  try {
    const figures = [...(await idleThreads(process.env.BENCH_REDIS_URL)), ...(await inFlightSessions())];
    process.send!(figures);
  } finally {
    await otel.shutdown();
    rmSync(journalDir, { recursive: true, force: true });
    process.disconnect();
  }
}

/** Runs the measurements in a child with --expose-gc (and a redis-server when installed); prints the figures. */
export async function main(): Promise<void> {
  const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
  const redis = hasRedis ? await (await import('../test/e2e/support/redis.js')).startRedis() : undefined;
  try {
    const figures = await new Promise<Figure[]>((resolve, reject) => {
      const proc = fork(fileURLToPath(import.meta.url), [], {
        execArgv: ['--expose-gc', '--import', 'tsx'],
        env: {
          ...process.env,
          [CHILD_FLAG]: '1',
          // N sessions end at once: room for all their spans in the batch queue, so none is dropped.
          OTEL_BSP_MAX_QUEUE_SIZE: String(4 * N),
          ...(redis ? { BENCH_REDIS_URL: redis.url } : {}),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let got: Figure[] | undefined;
      proc.once('message', (message) => (got = message as Figure[]));
      proc.once('error', reject);
      proc.once('exit', (code, signal) =>
        got
          ? resolve(got)
          : reject(new BenchCheckError(`memory: the measuring process ended (${signal ?? `code ${code}`})`)),
      );
    });
    console.log(
      `memory: bytes each, heap after global.gc() (--expose-gc) before and after N = ${N.toLocaleString('en-US')}`,
    );
    const width = Math.max(...figures.map((f) => f.label.length)) + 2;
    for (const figure of figures)
      console.log(
        `  ${figure.label.padEnd(width)}${Math.round(figure.bytes).toString().padStart(7)} B   ${figure.note}`,
      );
    if (!redis)
      console.log(
        '  idle stored thread, redis store: skipped: redis-server is not installed (bash scripts/setup-redis.sh)',
      );
  } finally {
    await redis?.close();
  }
}

if (process.env[CHILD_FLAG] === '1') {
  child().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
} else {
  runIfMain(import.meta.url, main);
}
