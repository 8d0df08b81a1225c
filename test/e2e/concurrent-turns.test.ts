/**
 * Concurrent turns of one thread, in two app processes (issue 26): every `push` is kept, in
 * the default SQLite store (one file shared by the processes of a host) and in Redis, and
 * `push`'s `max` holds whatever order the saves land in. Real processes of the chat service
 * (`node --import otel-sessions/register`), a real SQLite file and a real redis-server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApp } from './apps/start-apps.js';
import { freePorts, LOOPBACK } from './support/ports.js';
import type { ManagedProcess } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';

const secret = randomBytes(32).toString('base64url');
const root = mkdtempSync(join(tmpdir(), 'otel-sessions-concurrent-e2e-'));
const processes: ManagedProcess[] = [];
let redis: RedisServer;

/** Starts the chat service on a free port; its base URL. */
async function startChat(name: string, env: Record<string, string>): Promise<string> {
  const [port] = (await freePorts(1)) as [number];
  processes.push(await startApp(name, './chat-service.ts', port, { OTEL_SESSIONS_SECRET: secret, ...env }));
  return `http://${LOOPBACK}:${port}`;
}

interface Turn {
  status: number;
  body: { threadId?: string; value?: unknown };
  token: string;
}

async function turn(url: string, method: string, path: string, body?: unknown, token?: string): Promise<Turn> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-thread-id'] = token;
  const response = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Turn['body'],
    token: response.headers.get('x-thread-id') ?? token ?? '',
  };
}

/**
 * Starts a thread with one push, then sends `perProcess` concurrent turns to each process at
 * once, each pushing its own entry onto `log` and onto `recent` (max 25); reads both back.
 */
async function concurrentPushes(urls: readonly string[], perProcess: number): Promise<void> {
  const start = await turn(urls[0]!, 'POST', '/push/log', { turn: 'start' });
  assert.equal(start.status, 200);
  const { token } = start;
  const threadId = start.body.threadId;
  const turns = urls.flatMap((url, p) =>
    Array.from({ length: perProcess }, async (_, n) => {
      const entry = { process: p, n };
      const pushed = await turn(url, 'POST', '/push/log', entry, token);
      const bounded = await turn(url, 'POST', '/push/recent?max=25', entry, token);
      for (const reply of [pushed, bounded]) {
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.equal(reply.body.threadId, threadId, 'every turn continued the one thread');
      }
    }),
  );
  await Promise.all(turns);

  const log = (await turn(urls[1]!, 'GET', '/state/log', undefined, token)).body.value as unknown[];
  const recent = (await turn(urls[0]!, 'GET', '/state/recent', undefined, token)).body.value as unknown[];
  const total = urls.length * perProcess;
  assert.equal(log.length, total + 1, `every push kept: ${log.length} of ${total + 1}`);
  assert.equal(new Set(log.map((entry) => JSON.stringify(entry))).size, total + 1, 'each entry once');
  assert.equal(recent.length, 25, 'max 25 holds');
}

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await Promise.all(processes.map((child) => child.stop(2000)));
  await redis?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('concurrent turns of one thread in two processes', () => {
  test('SQLite (the default store, one file): 2 processes x 20 concurrent turns keep all 40 pushes, and max holds', async () => {
    const dir = join(root, 'shared-journal');
    const urls = await Promise.all(
      ['sqlite-a', 'sqlite-b'].map((name) => startChat(name, { OTEL_SESSIONS_JOURNAL_DIR: dir })),
    );
    await concurrentPushes(urls, 20);
  });

  test('Redis: 2 processes x 20 concurrent turns keep all 40 pushes, and max holds', async () => {
    const urls = await Promise.all(
      ['redis-a', 'redis-b'].map((name) =>
        startChat(name, { OTEL_SESSIONS_REDIS_URL: redis.url, OTEL_SESSIONS_JOURNAL_DIR: join(root, name) }),
      ),
    );
    await concurrentPushes(urls, 20);
  });
});
