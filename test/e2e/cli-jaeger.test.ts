/**
 * Issue 5, the CLI's Jaeger source end to end: real app processes registered with otel-sessions
 * (demo-service → echo-service, and flaky-service, whose agent throws on request) export through
 * the collector tier to a real Jaeger; the apps are stopped with SIGTERM so they flush; then
 * `otel-sessions … --jaeger <queryUrl>` (run in this process, as the unit tests do, plus once
 * as the built bin) must find each session, its logs, its thread and the recent sessions, and
 * must fail cleanly on unknown and malformed IDs and on an unreachable Jaeger.
 *
 * Traffic, in this order: thread F on flaky-service gets GET /hello (ok), then thread D on
 * demo-service gets POST /chat (ok, crossing into echo-service), then thread F gets
 * POST /chat with `fail: true` (the agent throws; the request answers 500).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DEMO_SERVICE, ECHO_SERVICE, startSessionApps, type SessionApps } from './apps/start-apps.js';
import { FLAKY_ERROR, FLAKY_SERVICE, startFlakyApp, type FlakyApp } from './apps/start-flaky-app.js';
import { freePorts, LOOPBACK } from './support/ports.js';
import {
  spanService,
  spanTag,
  startJaegerStack,
  waitForTraces,
  type JaegerStack,
  type JaegerTrace,
} from './support/jaeger.js';
import { runCli, type CliRun } from '../unit/cli/run-cli.js';

const BIN = fileURLToPath(new URL('../../bin/otel-sessions.mjs', import.meta.url));
const STACK_TRACE = /\n\s+at /;
const ESC = String.fromCharCode(27);
const UNKNOWN_SESSION = `sess_${'unknownZ'.padEnd(24, 'Z')}`;
const UNKNOWN_THREAD = `thrd_${'unknownY'.padEnd(24, 'Y')}`;

/** One request's session as the app answered it. */
interface Turn {
  sessionId: string;
  threadId: string;
  /** The signed `x-thread-id` to send with the next request of the thread. */
  threadToken: string;
  requestType: string;
}

/** The non-empty lines of the output. */
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('otel-sessions --jaeger, against a real Jaeger fed by real apps', () => {
  let stack: JaegerStack | undefined;
  let apps: SessionApps | undefined;
  let flaky: FlakyApp | undefined;
  let queryUrl = '';
  /** thread F, first session: GET /hello on flaky-service. */
  let hello: Turn;
  /** thread D, its only session: POST /chat on demo-service. */
  let demo: Turn;
  /** thread F, second session: POST /chat on flaky-service, whose agent throws. */
  let failed: Turn;
  /** The root (server) span name of each session, as Jaeger has it. */
  const rootName = new Map<string, string>();
  /** Every stderr the CLI wrote, checked for stack traces at the end. */
  const stderrs: string[] = [];

  async function cli(...argv: string[]): Promise<CliRun> {
    const run = await runCli(argv);
    stderrs.push(run.err);
    return run;
  }

  /** Sends one request (a JSON body gets a fresh `requestType`) and returns its session and thread. */
  async function call(
    url: string,
    body?: Record<string, unknown>,
    token?: string,
  ): Promise<{ status: number; turn: Turn }> {
    const requestType = `rt-${randomBytes(3).toString('hex')}`;
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { 'x-thread-id': token }) },
      ...(body === undefined ? {} : { body: JSON.stringify({ ...body, requestType }) }),
    });
    await response.text();
    const sessionId = response.headers.get('x-session-id') ?? '';
    const threadToken = response.headers.get('x-thread-id') ?? '';
    const threadId = threadToken.split('.')[0] ?? '';
    assert.match(sessionId, /^sess_[\w-]{24}$/);
    assert.match(threadId, /^thrd_[\w-]{24}$/);
    return { status: response.status, turn: { sessionId, threadId, threadToken, requestType } };
  }

  before(async () => {
    stack = await startJaegerStack();
    queryUrl = stack.queryUrl;
    const s = stack;
    [apps, flaky] = await Promise.all([startSessionApps(s), startFlakyApp(s)]);

    const first = await call(`${flaky.url}/hello`);
    assert.equal(first.status, 200);
    hello = first.turn;
    const second = await call(`${apps.demoUrl}/chat`, { message: 'hi' });
    assert.equal(second.status, 200);
    demo = second.turn;
    const third = await call(`${flaky.url}/chat`, { fail: true }, hello.threadToken);
    assert.equal(third.status, 500, 'the failing agent makes the request fail');
    failed = third.turn;
    assert.equal(failed.threadId, hello.threadId, 'the failing session continues thread F');
    assert.notEqual(demo.threadId, hello.threadId);

    // SIGTERM, so the apps flush their spans on the way out.
    await Promise.all([apps.stop(10_000), flaky.stop(10_000)]);
    for (const app of [apps.demo, apps.echo, flaky.process]) {
      assert.deepEqual(app.exitStatus(), { code: null, signal: 'SIGTERM' }, `${app.name} output:\n${app.output()}`);
    }

    const hasSpan = (trace: JaegerTrace, names: RegExp): boolean =>
      trace.spans.some((span) => names.test(span.operationName));
    const flakyTraces = await waitForTraces(
      queryUrl,
      FLAKY_SERVICE,
      {},
      {
        until: (traces) => traces.length >= 2 && traces.some((trace) => hasSpan(trace, /^agent\.run flaky-agent$/)),
      },
    );
    const demoTraces = await waitForTraces(
      queryUrl,
      DEMO_SERVICE,
      {},
      {
        until: (traces) => traces.length >= 1 && traces.every((trace) => trace.spans.length >= 4),
      },
    );
    for (const trace of [...flakyTraces, ...demoTraces]) {
      for (const span of trace.spans) {
        const parentless = !span.references.some((ref) => ref.refType === 'CHILD_OF');
        const service = spanService(trace, span);
        if (parentless && service !== ECHO_SERVICE)
          rootName.set(String(spanTag(span, 'session.id')), span.operationName);
      }
    }
    assert.deepEqual(
      [hello, demo, failed].map((turn) => rootName.has(turn.sessionId)),
      [true, true, true],
      'Jaeger has the root span of every session',
    );
    // The http instrumentation's server span is each session's root.
    assert.match(rootName.get(hello.sessionId) ?? '', /^GET\b/);
    assert.match(rootName.get(demo.sessionId) ?? '', /^POST\b/);
    assert.match(rootName.get(failed.sessionId) ?? '', /^POST\b/);
  });

  after(async () => {
    await apps?.stop(2000);
    await flaky?.stop(2000);
    await stack?.stop();
  });

  describe('show', () => {
    it('the failed session: header with metadata and status, the error before the span table', async () => {
      const { code, out, err } = await cli('show', failed.sessionId, '--jaeger', queryUrl);
      assert.equal(code, 0, err);
      assert.equal(err, '');
      const output = lines(out);
      assert.match(output[0] ?? '', new RegExp(`^session +${failed.sessionId}$`));
      assert.match(out, new RegExp(`^thread +${failed.threadId}$`, 'm'));
      assert.match(out, new RegExp(`^service +${FLAKY_SERVICE}$`, 'm'));
      assert.match(out, /^status +error$/m);
      assert.match(out, new RegExp(`^metadata +requestType=${failed.requestType}$`, 'm'));
      const errorLine = output.findIndex((line) => line.startsWith('error '));
      const tableHead = output.findIndex((line) => /^SPAN +START +DURATION +STATUS +DETAILS$/.test(line));
      assert.ok(errorLine > 0 && tableHead > errorLine, `the error comes before the span table:\n${out}`);
      assert.match(
        output[errorLine] ?? '',
        new RegExp(`^error +Error: ${escape(FLAKY_ERROR)} +\\(exception in agent\\.run flaky-agent at \\S+Z\\)$`),
      );
      const table = output.slice(tableHead + 1);
      assert.match(table[0] ?? '', new RegExp(`^${escape(rootName.get(failed.sessionId) ?? '?')} +\\+0 ms .* error `));
      assert.ok(
        table.some((line) =>
          new RegExp(`^└─ agent\\.run flaky-agent .* error +exception: Error: ${escape(FLAKY_ERROR)}`).test(line),
        ),
        out,
      );
      assert.ok(!out.includes(`${ESC}[`), 'no colour when not a terminal');
    });

    it('a session that went well: status ok, no error line, spans of both services', async () => {
      const { code, out, err } = await cli('show', demo.sessionId, '--jaeger', queryUrl);
      assert.equal(code, 0, err);
      assert.equal(err, '');
      assert.match(out, new RegExp(`^service +${DEMO_SERVICE}$`, 'm'));
      assert.match(out, /^status +ok$/m);
      assert.match(out, new RegExp(`^metadata +requestType=${demo.requestType}$`, 'm'));
      assert.doesNotMatch(out, /^error/m);
      const table = lines(out).slice(lines(out).findIndex((line) => line.startsWith('SPAN ')) + 1);
      assert.match(table[0] ?? '', new RegExp(`^${escape(rootName.get(demo.sessionId) ?? '?')} +\\+0 ms .* ok`));
      assert.ok(
        table.some((line) => /^[│├└─ ]+agent\.run demo-agent /.test(line)),
        out,
      );
      assert.ok(table.length >= 4, `demo server, agent, fetch client, echo server:\n${out}`);
    });

    it('--json: the summary, the error and the span tree', async () => {
      const { code, out } = await cli('show', failed.sessionId, '--json', '--jaeger', queryUrl);
      assert.equal(code, 0);
      const json = JSON.parse(out);
      assert.deepEqual(Object.keys(json), ['source', 'session', 'error', 'spans']);
      assert.equal(json.source, queryUrl);
      assert.equal(json.session.id, failed.sessionId);
      assert.equal(json.session.threadId, failed.threadId);
      assert.equal(json.session.service, FLAKY_SERVICE);
      assert.equal(json.session.rootSpan, rootName.get(failed.sessionId));
      assert.equal(json.session.status, 'ERROR');
      assert.deepEqual(json.session.metadata, { requestType: failed.requestType });
      assert.deepEqual(
        { kind: json.error.kind, message: json.error.message, span: json.error.span },
        { kind: 'exception', message: `Error: ${FLAKY_ERROR}`, span: 'agent.run flaky-agent' },
      );
      assert.equal(json.spans.length, 1, 'one root');
      const [root] = json.spans;
      assert.equal(root.name, rootName.get(failed.sessionId));
      assert.equal(root.attributes['session.id'], failed.sessionId);
      const agent = root.children.find((child: { name: string }) => child.name === 'agent.run flaky-agent');
      assert.ok(agent, JSON.stringify(root.children.map((child: { name: string }) => child.name)));
      assert.equal(agent.status, 'ERROR');
      assert.equal(agent.parentSpanId, root.spanId);
      assert.ok(agent.events.some((event: { name: string }) => event.name === 'exception'));
    });
  });

  describe('logs', () => {
    it('the failed session: its error first, then its records in time order with level', async () => {
      const { code, out, err } = await cli('logs', failed.sessionId, '--jaeger', queryUrl);
      assert.equal(code, 0, err);
      assert.equal(err, '');
      const output = lines(out);
      assert.match(output[0] ?? '', new RegExp(`^session +${failed.sessionId}$`));
      assert.match(output[1] ?? '', new RegExp(`^thread +${failed.threadId}$`));
      assert.match(output[2] ?? '', new RegExp(`^error +Error: ${escape(FLAKY_ERROR)} `));
      assert.match(output[3] ?? '', new RegExp(`^records +4 log records in ${escape(queryUrl)}$`));
      assert.match(output[4] ?? '', /^TIME +LEVEL +MESSAGE +FIELDS$/);
      const records = output.slice(5);
      assert.equal(records.length, 4, out);
      assert.match(records[0] ?? '', new RegExp(`Z {2}info {3}flaky-service: received ${failed.requestType} `));
      assert.match(records[1] ?? '', new RegExp(`Z {2}info {3}flaky-agent: working on ${failed.requestType} `));
      assert.match(records[2] ?? '', /Z {2}warn {3}flaky-agent: upstream is slow +.*attempt=2/);
      assert.match(records[3] ?? '', new RegExp(`Z {2}error {2}Request failed +.*error="${escape(FLAKY_ERROR)}"`));
      const times = records.map((line) => line.split(' ')[0] ?? '');
      assert.deepEqual([...times].sort(), times, 'in time order');
    });

    it('a session across two services: the records of both, in time order', async () => {
      const { code, out, err } = await cli('logs', demo.sessionId, '--jaeger', queryUrl);
      assert.equal(code, 0, err);
      assert.doesNotMatch(out, /^error/m);
      const records = lines(out).slice(lines(out).findIndex((line) => line.startsWith('TIME ')) + 1);
      assert.deepEqual(
        records.map((line) => line.split(/ {2,}/).slice(1, 3)),
        [
          ['info', `demo-service: received ${demo.requestType}`],
          ['info', `demo-agent: handling ${demo.requestType}`],
          ['info', 'echo-service: echoing'],
        ],
      );
    });

    it('--json: the session, its error and its records', async () => {
      const { code, out } = await cli('logs', failed.sessionId, '--json', '--jaeger', queryUrl);
      assert.equal(code, 0);
      const json = JSON.parse(out);
      assert.deepEqual(Object.keys(json), ['source', 'session', 'error', 'records']);
      assert.equal(json.source, queryUrl);
      assert.deepEqual(json.session, { id: failed.sessionId, threadId: failed.threadId });
      assert.equal(json.error.message, `Error: ${FLAKY_ERROR}`);
      type LogRecord = {
        level: string;
        message: string;
        timeUnixMs: number;
        service: string;
        fields: Record<string, unknown>;
      };
      const records = json.records as LogRecord[];
      assert.deepEqual(
        records.map((record) => [record.level, record.message]),
        [
          ['info', `flaky-service: received ${failed.requestType}`],
          ['info', `flaky-agent: working on ${failed.requestType}`],
          ['warn', 'flaky-agent: upstream is slow'],
          ['error', 'Request failed'],
        ],
      );
      const times = records.map((record) => record.timeUnixMs);
      assert.deepEqual(
        [...times].sort((a, b) => a - b),
        times,
      );
      for (const record of records) {
        assert.equal(record.service, FLAKY_SERVICE);
        assert.equal(record.fields['session.id'], failed.sessionId);
      }
    });
  });

  describe('thread', () => {
    it("exactly the thread's sessions, oldest first, the failed one marked", async () => {
      const { code, out, err } = await cli('thread', hello.threadId, '--jaeger', queryUrl);
      assert.equal(code, 0, err);
      assert.equal(err, '');
      const output = lines(out);
      assert.match(output[0] ?? '', new RegExp(`^thread +${hello.threadId}$`));
      assert.match(output[1] ?? '', /^sessions +2 sessions, 1 with errors$/);
      assert.match(output[2] ?? '', /^SESSION +START +DURATION +STATUS +ROOT SPAN +ERROR$/);
      assert.equal(output.length, 5, out);
      assert.match(
        output[3] ?? '',
        new RegExp(`^${hello.sessionId} +\\S+Z +\\S+ m?s +ok +${escape(rootName.get(hello.sessionId) ?? '?')}$`),
      );
      assert.match(
        output[4] ?? '',
        new RegExp(
          `^${failed.sessionId} +\\S+Z +\\S+ m?s +error +${escape(rootName.get(failed.sessionId) ?? '?')} +Error: ${escape(FLAKY_ERROR)}`,
        ),
      );
    });

    it('--json, for both threads', async () => {
      for (const [threadId, expected] of [
        [hello.threadId, [hello, failed]],
        [demo.threadId, [demo]],
      ] as const) {
        const { code, out } = await cli('thread', threadId, '--json', '--jaeger', queryUrl);
        assert.equal(code, 0);
        const json = JSON.parse(out);
        assert.deepEqual(Object.keys(json), ['source', 'threadId', 'sessions']);
        assert.equal(json.threadId, threadId);
        assert.deepEqual(
          json.sessions.map((session: { id: string; threadId: string }) => [session.id, session.threadId]),
          expected.map((turn) => [turn.sessionId, threadId]),
        );
      }
    });
  });

  describe('list', () => {
    it('--service: that service’s sessions, newest first', async () => {
      const { code, out, err } = await cli('list', '--service', FLAKY_SERVICE, '--jaeger', queryUrl);
      assert.equal(code, 0, err);
      assert.equal(err, '');
      const output = lines(out);
      assert.match(output[0] ?? '', /^SESSION +START +DURATION +STATUS +SERVICE +THREAD +ROOT SPAN$/);
      assert.deepEqual(
        output.slice(1).map((line) => line.split(' ')[0]),
        [failed.sessionId, hello.sessionId],
      );
      assert.match(output[1] ?? '', new RegExp(` error +${FLAKY_SERVICE} +${hello.threadId} `));
      assert.match(output[2] ?? '', new RegExp(` ok +${FLAKY_SERVICE} +${hello.threadId} `));

      const demoOnly = await cli('list', '--service', DEMO_SERVICE, '--jaeger', queryUrl);
      assert.equal(demoOnly.code, 0);
      assert.deepEqual(
        lines(demoOnly.out)
          .slice(1)
          .map((line) => line.split(' ')[0]),
        [demo.sessionId],
      );
    });

    it('every service, and --json', async () => {
      const { code, out } = await cli('list', '--json', '--jaeger', queryUrl);
      assert.equal(code, 0);
      const json = JSON.parse(out);
      assert.deepEqual(Object.keys(json), ['source', 'since', 'total', 'sessions']);
      assert.equal(json.source, queryUrl);
      assert.equal(json.total, 3);
      type Summary = { id: string; service: string; threadId: string; status: string; startUnixMs: number };
      const sessions = json.sessions as Summary[];
      assert.deepEqual(
        sessions.map((session) => [session.id, session.service, session.threadId]),
        [
          [failed.sessionId, FLAKY_SERVICE, failed.threadId],
          [demo.sessionId, DEMO_SERVICE, demo.threadId],
          [hello.sessionId, FLAKY_SERVICE, hello.threadId],
        ],
      );
      assert.deepEqual(
        sessions.map((session) => session.status === 'ERROR'),
        [true, false, false],
      );
      const starts = sessions.map((session) => session.startUnixMs);
      assert.deepEqual(
        [...starts].sort((a, b) => b - a),
        starts,
        'newest first',
      );
    });
  });

  it('the built bin prints the same, uncoloured when piped', async () => {
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'show', failed.sessionId, '--jaeger', queryUrl], {
          env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (exit) => resolve({ code: exit, out: stdout, err: stderr }));
      },
    );
    stderrs.push(err);
    assert.equal(code, 0, err);
    assert.equal(err, '');
    assert.match(out, new RegExp(`^error +Error: ${escape(FLAKY_ERROR)} `, 'm'));
    assert.ok(!out.includes(`${ESC}[`));
  });

  describe('bad input', () => {
    it('an unknown session or thread exits 1 naming the Jaeger URL', async () => {
      for (const command of ['show', 'logs']) {
        const { code, out, err } = await cli(command, UNKNOWN_SESSION, '--jaeger', queryUrl);
        assert.equal(code, 1, command);
        assert.equal(out, '');
        assert.equal(err, `otel-sessions: no session ${UNKNOWN_SESSION} in ${queryUrl}\n`);
      }
      const { code, err } = await cli('thread', UNKNOWN_THREAD, '--jaeger', queryUrl);
      assert.equal(code, 1);
      assert.equal(err, `otel-sessions: no thread ${UNKNOWN_THREAD} in ${queryUrl}\n`);
    });

    it('a malformed ID exits 2 with one line showing the expected form', async () => {
      for (const argv of [
        ['show', 'sess_x'],
        ['logs', 'sess_x'],
        ['thread', 'thrd_!'],
      ]) {
        const { code, out, err } = await cli(...argv, '--jaeger', queryUrl);
        assert.equal(code, 2, argv.join(' '));
        assert.equal(out, '');
        assert.match(
          err,
          /^otel-sessions: "(sess_x|thrd_!)" is not a (session|thread) ID \(expected (sess|thrd)_ followed by 24 characters/,
        );
        assert.equal(err.split('\n').length, 2, 'one line');
      }
    });

    it('an unreachable Jaeger exits 1 naming the URL', async () => {
      const [port] = (await freePorts(1)) as [number]; // free a moment ago, so nothing listens there
      const closed = `http://${LOOPBACK}:${port}`;
      for (const argv of [
        ['show', failed.sessionId],
        ['logs', failed.sessionId],
        ['thread', failed.threadId],
        ['list'],
      ]) {
        const { code, out, err } = await cli(...argv, '--jaeger', closed);
        assert.equal(code, 1, argv.join(' '));
        assert.equal(out, '');
        assert.match(
          err,
          new RegExp(`^otel-sessions: cannot reach Jaeger at ${escape(closed)} \\(ECONNREFUSED\\)\\n$`),
        );
      }
    });

    it('no stack trace in anything the CLI wrote to stderr', () => {
      assert.ok(stderrs.length > 20, `${stderrs.length} runs`);
      for (const err of stderrs) assert.doesNotMatch(err, STACK_TRACE);
    });
  });
});
