/**
 * Many processes, one conversation (issue 29): a service runs several processes behind a
 * round-robin balancer, so a conversation's turns land on any of them. Over the default SQLite
 * store (4 processes of one host sharing the journal folder) and over Redis (2 "hosts": their
 * own journal folders, one Redis), conversations whose turns hop processes, concurrent turns
 * included, keep every write, and every session's spans and log records reach one collector
 * (the real collector tier in front of a real Jaeger) with their session's IDs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApp } from './apps/start-apps.js';
import { findTraces, spanTag } from './support/jaeger-query.js';
import { startJaegerStack, type JaegerStack } from './support/jaeger.js';
import { freePorts, LOOPBACK } from './support/ports.js';
import type { ManagedProcess } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { startRoundRobin, type RoundRobin } from './support/round-robin.js';
import { logRecordsBySession } from './support/session-load.js';
import { waitUntil } from './support/wait.js';

const secret = randomBytes(32).toString('base64url');
const root = mkdtempSync(join(tmpdir(), 'otel-sessions-many-e2e-'));
/** Conversations held at once, sequential turns each (the first starts it), then turns sent all at once. */
const CONVERSATIONS = 6;
const SEQUENTIAL_TURNS = 8;
const CONCURRENT_TURNS = 8;

const processes: ManagedProcess[] = [];
const balancers: RoundRobin[] = [];
let stack: JaegerStack;
let redis: RedisServer;

before(async () => {
  [stack, redis] = await Promise.all([startJaegerStack(), startRedis()]);
});

after(async () => {
  await Promise.all(processes.map((child) => child.stop(3000)));
  await Promise.all(balancers.map((balancer) => balancer.close()));
  await Promise.all([stack?.stop(), redis?.close()]);
  rmSync(root, { recursive: true, force: true });
});

/** Starts `count` processes of the chat service as `service`, each with `env(i)`, behind a balancer. */
async function startService(
  service: string,
  count: number,
  env: (i: number) => Record<string, string>,
): Promise<RoundRobin> {
  const ports = await freePorts(count);
  const started = await Promise.all(
    ports.map((port, i) =>
      startApp(service, './chat-service.ts', port, {
        OTEL_SESSIONS_SECRET: secret,
        OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
        ...env(i),
      }),
    ),
  );
  processes.push(...started);
  const balancer = await startRoundRobin(ports.map((port) => `http://${LOOPBACK}:${port}`));
  balancers.push(balancer);
  return balancer;
}

interface Reply {
  threadId: string;
  sessionId: string;
  token: string;
}

async function push(url: string, entry: unknown, token?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-thread-id'] = token;
  const response = await fetch(`${url}/push/log`, { method: 'POST', headers, body: JSON.stringify(entry) });
  const body = (await response.json()) as { threadId?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  return {
    threadId: body.threadId ?? '',
    sessionId: response.headers.get('x-session-id') ?? '',
    token: response.headers.get('x-thread-id') ?? token ?? '',
  };
}

/** One conversation through the balancer; the sessions it made, by thread. */
async function converse(url: string, conversation: number): Promise<{ threadId: string; sessionIds: string[] }> {
  const first = await push(url, { conversation, turn: 0 });
  const replies = [first];
  let token = first.token;
  for (let turn = 1; turn < SEQUENTIAL_TURNS; turn++) {
    const reply = await push(url, { conversation, turn }, token);
    token = reply.token;
    replies.push(reply);
  }
  replies.push(
    ...(await Promise.all(
      Array.from({ length: CONCURRENT_TURNS }, (_, burst) => push(url, { conversation, burst }, token)),
    )),
  );
  for (const reply of replies) assert.equal(reply.threadId, first.threadId, 'every turn continued the one thread');

  const read = await fetch(`${url}/state/log`, { headers: { 'x-thread-id': token } });
  const log = ((await read.json()) as { value: unknown[] }).value;
  const expected = SEQUENTIAL_TURNS + CONCURRENT_TURNS;
  assert.equal(log.length, expected, `conversation ${conversation}: ${log.length} of ${expected} writes kept`);
  assert.equal(new Set(log.map((entry) => JSON.stringify(entry))).size, expected, 'each write once');
  return { threadId: first.threadId, sessionIds: replies.map((reply) => reply.sessionId) };
}

/** Waits until the collector has every session's spans (in Jaeger, with its thread) and log records. */
async function assertAtCollector(
  service: string,
  conversations: Array<{ threadId: string; sessionIds: string[] }>,
): Promise<void> {
  const threadOf = new Map(conversations.flatMap(({ threadId, sessionIds }) => sessionIds.map((id) => [id, threadId])));
  let missingSpans: string[] = [...threadOf.keys()];
  let missingLogs: string[] = [...threadOf.keys()];
  await waitUntil(
    async () => {
      const spanThreads = new Map<string, unknown>();
      for (const trace of await findTraces(stack.queryUrl, service, {}, { limit: 10_000 }))
        for (const span of trace.spans) {
          const sessionId = spanTag(span, 'session.id');
          if (typeof sessionId === 'string') spanThreads.set(sessionId, spanTag(span, 'session.thread_id'));
        }
      missingSpans = [...threadOf].filter(([id, threadId]) => spanThreads.get(id) !== threadId).map(([id]) => id);
      const logs = logRecordsBySession(stack.collectorOutput());
      missingLogs = [...threadOf.keys()].filter((id) => (logs.get(id) ?? 0) < 1);
      return missingSpans.length === 0 && missingLogs.length === 0;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: `the telemetry of ${threadOf.size} sessions of ${service}` },
  ).catch((error: unknown) => {
    throw new Error(
      `${(error as Error).message}: ${missingSpans.length} sessions without spans in Jaeger, ${missingLogs.length} without log records at the collector`,
      { cause: error },
    );
  });
}

/**
 * Runs the conversations through `processes` app processes behind a round-robin balancer,
 * checks that each process served more than `minTurnsEach` turns, and that every session
 * reached the collector.
 */
async function conversationsAcross(
  service: string,
  processes: number,
  env: Parameters<typeof startService>[2],
  minTurnsEach: number,
): Promise<void> {
  const balancer = await startService(service, processes, env);
  const conversations = await Promise.all(
    Array.from({ length: CONVERSATIONS }, (_, conversation) => converse(balancer.url, conversation)),
  );
  assert.ok(
    balancer.counts.every((count) => count > minTurnsEach),
    `every process served turns: ${balancer.counts.join(', ')}`,
  );
  await assertAtCollector(service, conversations);
}

describe('one conversation over many processes', () => {
  test('SQLite: 4 processes of one host behind a round-robin balancer: turns hop processes, concurrent turns included, and keep every write; every session reaches the collector', async () => {
    const sharedJournal = join(root, 'host');
    await conversationsAcross('many-sqlite', 4, () => ({ OTEL_SESSIONS_JOURNAL_DIR: sharedJournal }), 20);
  });

  test('Redis: 2 hosts (their own journal folders, one Redis) behind a round-robin balancer: the same', async () => {
    const env = (i: number): Record<string, string> => ({
      OTEL_SESSIONS_JOURNAL_DIR: join(root, `redis-host-${i}`),
      OTEL_SESSIONS_REDIS_URL: redis.url,
    });
    await conversationsAcross('many-redis', 2, env, 40);
  });
});
