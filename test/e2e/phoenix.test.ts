/**
 * Conversations where LLM developers look: a service started with the register flag and
 * `OTEL_SESSIONS_CONVENTION=openinference` (content capture on) sends two 3-turn conversations
 * to a real Arize Phoenix; Phoenix's GraphQL API then lists two sessions of three traces,
 * each with its user, first input and last output. A request is still found by its sess_ ID.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startPhoenix, type Phoenix } from './support/phoenix.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appFile = fileURLToPath(new URL('./apps/frameworks/node-http.mjs', import.meta.url));
const PROJECT = 'otel-sessions-e2e';

interface PhoenixSession {
  sessionId: string;
  numTraces: number;
  userId: string | null;
  firstInput: { value: string } | null;
  lastOutput: { value: string } | null;
}

let phoenix: Phoenix;
let downstream: Server;
let app: ManagedProcess;
let base: string;

before(async () => {
  phoenix = await startPhoenix();
  downstream = createServer((_request, response) => response.end('{"ok":true}'));
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  app = startProcess({
    name: 'phoenix-app',
    command: process.execPath,
    args: ['--import', 'otel-sessions/register', appFile],
    cwd: root,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: phoenix.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Phoenix takes no log records (it answers 405).
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_SERVICE_NAME: 'phoenix-app',
      OTEL_RESOURCE_ATTRIBUTES: `openinference.project.name=${PROJECT}`,
      OTEL_SESSIONS_CONVENTION: 'openinference',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      OTEL_SESSIONS_JOURNAL_DIR: mkdtempSync(join(tmpdir(), 'otel-sessions-phoenix-app-')),
      OTEL_SESSIONS_LOG_CONSOLE: 'false',
      DOWNSTREAM_URL: `http://127.0.0.1:${(downstream.address() as { port: number }).port}/lookup`,
      PORT: '0',
    },
  });
  await waitUntil(
    () => {
      if (app.exitStatus() !== null) throw new Error(`app exited: ${app.output()}`);
      const port = /listening on (\d+)/.exec(app.output())?.[1];
      if (port !== undefined) base = `http://127.0.0.1:${port}`;
      return port !== undefined;
    },
    { timeoutMs: 20_000, what: 'the app to listen' },
  );
});

after(async () => {
  await app?.stop();
  downstream?.close();
  await phoenix?.stop();
});

test('Phoenix shows each conversation as one session of its turns, with its user, first input and last output', async (t) => {
  const conversations = [
    { user: 'u_alice', messages: ['alice one', 'alice two', 'alice three'] },
    { user: 'u_bob', messages: ['bob one', 'bob two', 'bob three'] },
  ];
  const threads = new Map<string, { user: string; messages: string[]; requests: string[] }>();
  for (const { user, messages } of conversations) {
    let token: string | undefined;
    let threadId = '';
    const requests: string[] = [];
    for (const message of messages) {
      const response = await fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { 'x-thread-id': token }) },
        body: JSON.stringify({ message, userId: user }),
      });
      assert.equal(response.status, 200);
      const answer = (await response.json()) as { sessionId: string; threadId: string };
      requests.push(answer.sessionId);
      threadId = answer.threadId;
      token = response.headers.get('x-thread-id') ?? token;
    }
    threads.set(threadId, { user, messages, requests });
  }

  let sessions: PhoenixSession[] = [];
  const query = `{ projects { edges { node { name sessions(first: 20) { edges { node {
    sessionId numTraces userId firstInput { value } lastOutput { value } } } } } } } }`;
  try {
    await waitUntil(
      async () => {
        const data = await phoenix.graphql<{
          projects: { edges: Array<{ node: { name: string; sessions: { edges: Array<{ node: PhoenixSession }> } } }> };
        }>(query);
        const project = data.projects.edges.find((edge) => edge.node.name === PROJECT);
        sessions = project?.node.sessions.edges.map((edge) => edge.node) ?? [];
        return sessions.length === 2 && sessions.every((session) => session.numTraces === 3);
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'two sessions of three traces in Phoenix' },
    );
  } catch (error) {
    t.diagnostic(`Phoenix sessions: ${JSON.stringify(sessions)}\napp output:\n${app.output()}`);
    throw error;
  }
  for (const session of sessions) {
    const thread = threads.get(session.sessionId);
    assert.ok(thread, `Phoenix's session ${session.sessionId} is one of the conversations' threads`);
    assert.equal(session.userId, thread.user);
    assert.match(session.firstInput?.value ?? '', new RegExp(thread.messages[0]!));
    assert.match(session.lastOutput?.value ?? '', new RegExp(thread.messages[2]!));
  }
  t.diagnostic(`Phoenix sessions: ${JSON.stringify(sessions)}`);
});
