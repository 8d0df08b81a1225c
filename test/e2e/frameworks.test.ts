/**
 * Sessions for every Node framework from the register flag alone: Express 5, Fastify 5, Koa 3,
 * plain node:http and Hono on @hono/node-server, each started as
 * `node --import otel-sessions/register <app>.mjs` and exporting through the real collector to
 * the real Jaeger. For each: a 3-turn conversation continued by the cookie and by `x-thread-id`
 * (the agent's thread state accumulating), a forged token starting a new thread, an ignored
 * health path, the IDs on the server span, the agent span, the outbound client span and the log
 * records (at the collector's debug exporter), and an in-flight request answered after SIGTERM.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startJaegerStack, spanTag, waitForTraces, type JaegerStack } from './support/jaeger.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const apps = fileURLToPath(new URL('./apps/frameworks/', import.meta.url));
const FRAMEWORKS = ['express', 'fastify', 'koa', 'node-http', 'hono'] as const;

interface ChatAnswer {
  sessionId: string;
  agentSessionId: string;
  threadId: string;
  messages: string[];
}

let stack: JaegerStack;
let downstream: Server;
let downstreamUrl: string;

before(async () => {
  stack = await startJaegerStack();
  downstream = createServer((_request, response) => response.end('{"ok":true}'));
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as { port: number }).port}/lookup`;
});
after(async () => {
  downstream.close();
  await stack.stop();
});

async function startApp(framework: string): Promise<{ app: ManagedProcess; base: string }> {
  const app = startProcess({
    name: framework,
    command: process.execPath,
    args: ['--import', 'otel-sessions/register', join(apps, `${framework}.mjs`)],
    cwd: root,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint,
      OTEL_SERVICE_NAME: `fw-${framework}`,
      OTEL_SESSIONS_IGNORE_PATHS: '/health',
      OTEL_SESSIONS_JOURNAL_DIR: mkdtempSync(join(tmpdir(), `otel-sessions-${framework}-`)),
      OTEL_SESSIONS_LOG_CONSOLE: 'false',
      DOWNSTREAM_URL: downstreamUrl,
      PORT: '0',
    },
  });
  let port = 0;
  await waitUntil(
    () => {
      const match = /listening on (\d+)/.exec(app.output());
      if (match) port = Number(match[1]);
      if (app.exitStatus() !== null) throw new Error(`${framework} exited: ${app.output()}`);
      return port > 0;
    },
    { timeoutMs: 20_000, what: `${framework} listening` },
  );
  return { app, base: `http://127.0.0.1:${port}` };
}

async function chat(
  base: string,
  message: string,
  headers: Record<string, string> = {},
): Promise<{ answer: ChatAnswer; response: Response }> {
  const response = await fetch(`${base}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ message }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return { answer: (await response.json()) as ChatAnswer, response };
}

for (const framework of FRAMEWORKS) {
  describe(`${framework} with the register flag alone`, () => {
    let app: ManagedProcess;
    let base: string;
    const firstTurns: ChatAnswer[] = [];

    before(async () => {
      ({ app, base } = await startApp(framework));
    });
    after(() => app.stop());

    test('three turns continue one thread by the cookie, and three by x-thread-id; the agent runs in the request session', async () => {
      for (const carrier of ['cookie', 'header'] as const) {
        let token: string | undefined;
        let threadId: string | undefined;
        const sessions = new Set<string>();
        for (const [turn, message] of ['one', 'two', 'three'].entries()) {
          const headers: Record<string, string> =
            token === undefined
              ? {}
              : carrier === 'cookie'
                ? { cookie: `otel_sessions_thread=${token}` }
                : { 'x-thread-id': token };
          const { answer, response } = await chat(base, message, headers);
          if (turn === 0) firstTurns.push(answer);
          assert.match(answer.sessionId, /^sess_/, 'the framework idiom gives the session ID');
          assert.equal(response.headers.get('x-session-id'), answer.sessionId);
          assert.equal(answer.agentSessionId, answer.sessionId, 'the agent joined the request session');
          threadId ??= answer.threadId;
          assert.equal(answer.threadId, threadId, `${carrier}, turn ${turn + 1}: same thread`);
          assert.deepEqual(
            answer.messages,
            ['one', 'two', 'three'].slice(0, turn + 1),
            `${carrier}: state accumulates`,
          );
          sessions.add(answer.sessionId);
          if (turn === 0) {
            assert.match(response.headers.get('set-cookie') ?? '', /^otel_sessions_thread=thrd_/);
            assert.ok(response.headers.get('x-thread-id')?.startsWith(answer.threadId));
          }
          token = response.headers.get('x-thread-id') ?? token;
        }
        assert.equal(sessions.size, 3);
      }
    });

    test('a forged thread token starts a new thread; the health path is no session', async () => {
      const forged = `thrd_${'A'.repeat(24)}`;
      const { answer } = await chat(base, 'forged', { cookie: `otel_sessions_thread=${forged}` });
      assert.notEqual(answer.threadId, forged);
      assert.deepEqual(answer.messages, ['forged']);
      const health = await fetch(`${base}/health`);
      assert.equal(await health.text(), 'ok');
      assert.equal(health.headers.get('x-session-id'), null);
    });

    test('Jaeger has the session: server span, agent span and client span carry both IDs, with the log as an event', async () => {
      const [first] = firstTurns;
      assert.ok(first);
      const traces = await waitForTraces(
        stack.queryUrl,
        `fw-${framework}`,
        { 'session.id': first.sessionId },
        {
          until: (found) =>
            found.some((trace) => trace.spans.some((span) => span.operationName.startsWith('agent.run'))),
          timeoutMs: 20_000,
        },
      );
      const spans = traces.flatMap((trace) => trace.spans);
      const server = spans.find((span) => spanTag(span, 'span.kind') === 'server');
      const agent = spans.find((span) => span.operationName === 'agent.run Remember');
      const client = spans.find((span) => spanTag(span, 'span.kind') === 'client');
      for (const [what, span] of [
        ['server', server],
        ['agent', agent],
        ['client', client],
      ] as const) {
        assert.ok(span, `${what} span in ${JSON.stringify(spans.map((s) => s.operationName))}`);
        assert.equal(spanTag(span, 'session.id'), first.sessionId, `${what} span's session.id`);
        assert.equal(spanTag(span, 'session.thread_id'), first.threadId, `${what} span's session.thread_id`);
      }
      const logged = agent?.logs.some((log) => log.fields.some((field) => field.value === 'remembered'));
      assert.ok(logged, 'the agent’s log record is an event on its span');
      await waitUntil(() => stack.collectorOutput().includes(first.sessionId), {
        timeoutMs: 15_000,
        what: 'the log record with its session.id at the collector',
      });
    });

    test('SIGTERM answers the request in flight, refuses later ones, and the process exits within 10 s', async () => {
      const inFlight = fetch(`${base}/slow`).then(async (response) => ({
        status: response.status,
        text: await response.text(),
      }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = Date.now();
      process.kill(app.pid, 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A request after the signal is not taken: nothing is answered after the last flush.
      const late = await fetch(`${base}/health`).then(
        (response) => response.status,
        () => 'refused',
      );
      assert.ok(late === 503 || late === 'refused', `a request after SIGTERM got ${late}`);
      const answered = await inFlight;
      assert.equal(answered.status, 200);
      assert.match(answered.text, /^slow done sess_/);
      await Promise.race([
        app.exited,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`${framework} still running 10 s after SIGTERM`)), 10_000),
        ),
      ]);
      assert.ok(Date.now() - signalled < 10_000);
    });
  });
}
