/**
 * Issue 4, end to end against the real processes: two services registered with otel-sessions
 * (demo-service → fetch → echo-service) export through the collector tier (running the shipped
 * collector-config.yaml) to a real Jaeger, and Jaeger's query API finds each session whole by
 * `session.id`, each conversation by `session.thread_id`, a session by its metadata, and the
 * session's log records as `log` events on the spans they were written in. A forged
 * `baggage: session.id=…` header from an outside client must not file the forger's request
 * under someone else's session. The services are stopped with SIGTERM before the queries, so
 * the spans in Jaeger also prove the flush on SIGTERM. The tear-down block runs a fixture whose
 * test fails with the whole set running, and checks that no process outlives it.
 *
 * The tests of the first describe block run in order and share the traffic the first one makes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  findTraces,
  spanService,
  spanTag,
  startJaegerStack,
  waitForTraces,
  type JaegerSpan,
  type JaegerStack,
  type JaegerTrace,
} from './support/jaeger.js';
import { assertNoProcessLeft } from './support/process-table.js';
import { waitUntil } from './support/wait.js';
import { DEMO_SERVICE, ECHO_SERVICE, startSessionApps, type SessionApps } from './apps/start-apps.js';

const DEMO = DEMO_SERVICE;
const ECHO = ECHO_SERVICE;
const SESSION_ID = /^sess_[\w-]+$/;
const THREAD_TOKEN = /^thrd_[\w-]+\.[0-9a-z]+\.[\w-]+$/;

/** What one demo request answered. */
interface Turn {
  thread: number;
  turn: number;
  requestType: string;
  sessionId: string;
  /** The signed thread token of the `x-thread-id` response header. */
  threadToken: string;
  /** The bare thread ID (`thrd_…`) from the JSON body. */
  threadId: string;
  /** The session and thread echo-service saw. */
  echo: { sessionId: string; threadId: string; baggage?: string | null };
}

interface ChatResponse {
  sessionId: string;
  threadId: string;
  /** echo-service's answer, passed on. */
  echo: { sessionId: string; threadId: string; baggage?: string | null };
}

const spanKind = (span: JaegerSpan): unknown => spanTag(span, 'span.kind');

function describeTrace(trace: JaegerTrace): string {
  return trace.spans
    .map(
      (span) =>
        `  ${spanService(trace, span)} ${span.operationName} kind=${String(spanKind(span))} ` +
        `session.id=${String(spanTag(span, 'session.id'))} thread=${String(spanTag(span, 'session.thread_id'))}`,
    )
    .join('\n');
}

/** The `log` events of a span, as their `log.message` fields. */
function logMessages(span: JaegerSpan): string[] {
  return span.logs.flatMap((log) => {
    const fields = new Map(log.fields.map((field) => [field.key, field.value]));
    return fields.get('event') === 'log' ? [String(fields.get('log.message'))] : [];
  });
}

describe('sessions in a real Jaeger, through the collector, across two services', () => {
  let stack: JaegerStack | undefined;
  let apps: SessionApps | undefined;
  const turns: Turn[] = [];
  let forged: { victim: Turn; forgerSessionId: string } | undefined;

  before(async () => {
    stack = await startJaegerStack();
    apps = await startSessionApps(stack);
  });

  after(async () => {
    // Runs also when a test or before() failed; each stop() is safe to repeat.
    await apps?.stop(2000);
    await stack?.stop();
  });

  async function chat(thread: number, turn: number, token: string | undefined): Promise<Turn> {
    const requestType = `thread${thread}-turn${turn}-${randomBytes(3).toString('hex')}`;
    const message = `message ${turn} of thread ${thread}`;
    const response = await fetch(`${apps?.demoUrl}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { 'x-thread-id': token }) },
      body: JSON.stringify({ requestType, message }),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `demo-service answered ${response.status}: ${text}`);
    const body = JSON.parse(text) as ChatResponse;
    const sessionId = response.headers.get('x-session-id') ?? '';
    const threadToken = response.headers.get('x-thread-id') ?? '';
    assert.equal(body.sessionId, sessionId, 'the x-session-id header and the JSON body agree');
    return {
      thread,
      turn,
      requestType,
      sessionId,
      threadToken,
      threadId: body.threadId,
      echo: { sessionId: body.echo.sessionId, threadId: body.echo.threadId },
    };
  }

  /** One thread's turns, in order, each sending back the token the previous turn received. */
  async function conversation(thread: number, count: number): Promise<Turn[]> {
    const result: Turn[] = [];
    for (let turn = 1; turn <= count; turn++) result.push(await chat(thread, turn, result.at(-1)?.threadToken));
    return result;
  }

  test('2 threads × 3 sessions, the threads running concurrently: one thread ID per thread', async () => {
    // The two threads interleave: turn n of thread 1 and of thread 2 are in flight together.
    const [first, second] = await Promise.all([conversation(1, 3), conversation(2, 3)]);
    turns.push(...first, ...second);

    for (const turn of turns) {
      assert.match(turn.sessionId, SESSION_ID);
      assert.match(turn.threadToken, THREAD_TOKEN);
      assert.ok(turn.threadToken.startsWith(`${turn.threadId}.`), 'the token signs the thread ID');
      // echo-service trusts demo-service, so it continued the same session and thread.
      assert.deepEqual(turn.echo, { sessionId: turn.sessionId, threadId: turn.threadId });
    }
    assert.equal(new Set(turns.map((turn) => turn.sessionId)).size, 6, 'every request is a session of its own');
    for (const conv of [first, second]) {
      assert.equal(new Set(conv.map((turn) => turn.threadId)).size, 1, 'the thread ID stays within a thread');
    }
    assert.notEqual(first[0]?.threadId, second[0]?.threadId, 'the two threads differ');
  });

  test('a forged `baggage: session.id` from an outside client gets a session of its own', async () => {
    const victim = turns[0];
    assert.ok(victim, 'needs the traffic of the first test');
    const response = await fetch(`${apps?.demoUrl}/chat`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        baggage: `session.id=${victim.sessionId},session.thread_id=${victim.threadId},user.role=admin`,
      },
      body: JSON.stringify({ requestType: 'forged', message: 'I claim to be someone else' }),
    });
    const body = (await response.json()) as ChatResponse;
    const forgerSessionId = response.headers.get('x-session-id') ?? '';
    forged = { victim, forgerSessionId };
    assert.equal(response.status, 200);
    assert.match(forgerSessionId, SESSION_ID);
    assert.notEqual(forgerSessionId, victim.sessionId);
    assert.notEqual(body.threadId, victim.threadId);
    // Nor does the forged ID travel on to the trusting echo-service.
    assert.equal(body.echo.sessionId, forgerSessionId);
    assert.equal(body.echo.threadId, body.threadId);
    // The outside caller's other baggage stops at demo-service: echo-service gets demo-service's own.
    const received = (body.echo.baggage ?? '').split(',').map((entry) => entry.split(';')[0]?.trim());
    assert.deepEqual(received.sort(), [`session.id=${forgerSessionId}`, `session.thread_id=${body.threadId}`]);
  });

  test('SIGTERM flushes both services: they end by the signal, not by the SIGKILL fallback', async () => {
    // stop() sends SIGTERM to the process group and only SIGKILLs after the grace period.
    await apps?.stop(10_000);
    for (const app of [apps?.demo, apps?.echo]) {
      assert.deepEqual(app?.exitStatus(), { code: null, signal: 'SIGTERM' }, `${app?.name} output:\n${app?.output()}`);
    }
  });

  /** The traces of each session, once Jaeger has all 7 demo-service sessions. */
  const traceBySession = new Map<string, JaegerTrace>();

  test('session.id finds exactly the one trace of that session, every span carrying both IDs', async (t) => {
    assert.equal(turns.length, 6, 'needs the traffic of the first test');
    const s = stack as JaegerStack;
    try {
      // 7 sessions (6 + the forged one), each trace whole: demo server, agent, fetch client, echo server.
      await waitForTraces(
        s.queryUrl,
        DEMO,
        {},
        {
          until: (traces) => traces.length >= 7 && traces.every((trace) => trace.spans.length >= 4),
          timeoutMs: 15_000,
        },
      );
      for (const turn of turns) {
        const found = await findTraces(s.queryUrl, DEMO, { 'session.id': turn.sessionId });
        assert.equal(found.length, 1, `session ${turn.sessionId}: ${found.length} traces`);
        const trace = found[0] as JaegerTrace;
        traceBySession.set(turn.sessionId, trace);

        for (const span of trace.spans) {
          const where = `${spanService(trace, span)} span "${span.operationName}" of ${turn.sessionId}`;
          assert.equal(spanTag(span, 'session.id'), turn.sessionId, where);
          assert.equal(spanTag(span, 'session.thread_id'), turn.threadId, where);
        }
        const has = (service: string, kind: string, name?: RegExp): boolean =>
          trace.spans.some(
            (span) =>
              spanService(trace, span) === service &&
              spanKind(span) === kind &&
              (name === undefined || name.test(span.operationName)),
          );
        const shape = `trace of ${turn.sessionId}:\n${describeTrace(trace)}`;
        assert.ok(has(DEMO, 'server'), `demo-service server span; ${shape}`);
        assert.ok(
          trace.spans.some((span) => span.operationName === 'agent.run demo-agent'),
          `agent.run span; ${shape}`,
        );
        assert.ok(has(DEMO, 'client'), `the outbound fetch's client span; ${shape}`);
        assert.ok(has(ECHO, 'server'), `echo-service's server span, in the same trace; ${shape}`);

        // The same trace is found from echo-service's side, and no other.
        const fromEcho = await findTraces(s.queryUrl, ECHO, { 'session.id': turn.sessionId });
        assert.deepEqual(
          fromEcho.map((found) => found.traceID),
          [trace.traceID],
        );
      }
      assert.equal(new Set([...traceBySession.values()].map((trace) => trace.traceID)).size, 6);
      const example = traceBySession.get(turns[0]?.sessionId ?? '');
      if (example) for (const line of describeTrace(example).split('\n')) t.diagnostic(line);
    } catch (error) {
      t.diagnostic(`demo-service output:\n${apps?.demo.output()}\necho-service output:\n${apps?.echo.output()}`);
      throw error;
    }
  });

  /** Fails a test that depends on the traffic and traces of the earlier tests when those are missing. */
  function requireEarlierTests(): JaegerStack {
    assert.equal(turns.length, 6, 'needs the traffic of the first test');
    assert.equal(traceBySession.size, 6, 'needs the traces found by the session.id test');
    return stack as JaegerStack;
  }

  test('session.thread_id finds exactly the 3 sessions of that thread', async () => {
    const s = requireEarlierTests();
    for (const thread of [1, 2]) {
      const own = turns.filter((turn) => turn.thread === thread);
      const threadId = own[0]?.threadId ?? '';
      const found = await findTraces(s.queryUrl, DEMO, { 'session.thread_id': threadId });
      assert.deepEqual(
        found.map((trace) => trace.traceID).sort(),
        own.map((turn) => traceBySession.get(turn.sessionId)?.traceID).sort(),
        `thread ${threadId}`,
      );
      const sessionIds = found.map((trace) => {
        const ids = new Set(trace.spans.map((span) => spanTag(span, 'session.id')));
        assert.equal(ids.size, 1);
        return [...ids][0];
      });
      assert.deepEqual(sessionIds.sort(), own.map((turn) => turn.sessionId).sort());
    }
  });

  test('session.metadata.requestType finds the session where it was set', async () => {
    const s = requireEarlierTests();
    for (const turn of turns) {
      const found = await findTraces(s.queryUrl, DEMO, { 'session.metadata.requestType': turn.requestType });
      assert.deepEqual(
        found.map((trace) => trace.traceID),
        [traceBySession.get(turn.sessionId)?.traceID],
        `requestType ${turn.requestType}`,
      );
      // It sits on the root (server) span, together with the session.id.
      const root = found[0]?.spans.find(
        (span) => spanTag(span, 'session.metadata.requestType') === turn.requestType,
      ) as JaegerSpan;
      assert.equal(spanKind(root), 'server');
      assert.equal(spanTag(root, 'session.id'), turn.sessionId);
    }
  });

  test('log records reach the collector with their session.id, and show as `log` events on their spans, which carry it', async () => {
    const s = requireEarlierTests();
    await waitUntil(() => turns.every((turn) => s.collectorOutput().includes(`session.id: Str(${turn.sessionId})`)), {
      timeoutMs: 10_000,
      what: 'the log records of every session in the collector output',
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- collector output ---\n${s.collectorOutput().slice(-5000)}`);
    });
    const output = s.collectorOutput();
    for (const turn of turns) {
      assert.ok(output.includes(`Body: Str(demo-service: received ${turn.requestType})`), turn.requestType);
      assert.ok(output.includes(`Body: Str(demo-agent: handling ${turn.requestType})`), turn.requestType);
    }
    for (const turn of turns) {
      const trace = traceBySession.get(turn.sessionId) as JaegerTrace;
      const server = trace.spans.find((span) => spanService(trace, span) === DEMO && spanKind(span) === 'server');
      const agent = trace.spans.find((span) => span.operationName === 'agent.run demo-agent');
      const echoServer = trace.spans.find((span) => spanService(trace, span) === ECHO && spanKind(span) === 'server');
      assert.ok(server && agent && echoServer, describeTrace(trace));
      // Each message is on the span it was written in, and only there.
      assert.deepEqual(logMessages(server), [`demo-service: received ${turn.requestType}`]);
      assert.deepEqual(logMessages(agent), [`demo-agent: handling ${turn.requestType}`]);
      assert.deepEqual(logMessages(echoServer), ['echo-service: echoing']);
      // A log event belongs to its session through its span, which carries the IDs: the event
      // does not repeat them.
      for (const span of [server, agent, echoServer]) {
        assert.equal(spanTag(span, 'session.id'), turn.sessionId, `span of the log events: ${span.operationName}`);
        for (const log of span.logs) {
          const keys = log.fields.map((field) => field.key);
          assert.ok(keys.includes('log.message'), `log event of ${span.operationName}`);
          assert.ok(!keys.includes('session.id'), `log event of ${span.operationName} repeats its span's session.id`);
        }
      }
    }
  });

  test("Jaeger's search for the forged session.id returns only the victim's trace", async () => {
    assert.ok(forged, 'needs the forged request of the earlier test');
    const s = requireEarlierTests();
    const victimTrace = traceBySession.get(forged.victim.sessionId)?.traceID;
    for (const service of [DEMO, ECHO]) {
      const found = await findTraces(s.queryUrl, service, { 'session.id': forged.victim.sessionId });
      assert.deepEqual(
        found.map((trace) => trace.traceID),
        [victimTrace],
        `${service}: the forger's spans are not filed under the victim's session`,
      );
    }
    const [forgerTrace, ...more] = await findTraces(s.queryUrl, DEMO, { 'session.id': forged.forgerSessionId });
    assert.equal(more.length, 0);
    assert.ok(forgerTrace, "the forger's request is found under its own session");
    assert.notEqual(forgerTrace.traceID, victimTrace);
    for (const span of forgerTrace.spans) {
      assert.equal(
        spanTag(span, 'session.id'),
        forged.forgerSessionId,
        `${span.operationName}:\n${describeTrace(forgerTrace)}`,
      );
    }
    assert.ok(
      forgerTrace.spans.some((span) => spanService(forgerTrace, span) === ECHO),
      "the forger's call reached echo-service, under the forger's own session",
    );
    // The refused claim is kept for the record, under its own attribute.
    const root = forgerTrace.spans.find(
      (span) => spanService(forgerTrace, span) === DEMO && spanKind(span) === 'server',
    );
    assert.equal(root && spanTag(root, 'session.rejected_id'), forged.victim.sessionId);
  });
});

describe('tear-down', () => {
  test('a failing test leaves neither the apps nor Jaeger running', async () => {
    const fixture = fileURLToPath(new URL('./apps/sessions-then-fail.ts', import.meta.url));
    // Without NODE_TEST_CONTEXT, which would make the fixture's node:test report in the runner's binary protocol.
    const { NODE_TEST_CONTEXT: _runnerContext, ...env } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    const line = /^PIDS (\[.*\])$/m.exec(output)?.[1];
    assert.ok(line, `the fixture printed no pids:\n${output}`);
    const pids = JSON.parse(line) as number[];
    assert.equal(pids.length, 4, 'jaeger, collector, demo-service, echo-service');
    assert.equal(code, 1, `the fixture's test failed as intended:\n${output}`);
    assert.match(output, /fixture: failing on purpose/);

    // Members of the children's process groups too (each child leads its own group).
    await assertNoProcessLeft(pids);
  });
});
