/**
 * Issue 16, the demo as a user runs it with a collector: `examples/demo.ts` exports through the
 * collector tier (the shipped collector-config.yaml) to a real Jaeger, and every trace Jaeger
 * has for the service is one session whose root span is the service's own `POST /chat` server
 * span carrying `session.id` (the demo's client requests are not traced). Its closing hint gives
 * the `--jaeger` form, which finds the session; so does the plain command once
 * OTEL_SESSIONS_JAEGER_URL is set, with no journal written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  spanService,
  spanTag,
  startJaegerStack,
  waitForTraces,
  type JaegerSpan,
  type JaegerStack,
  type JaegerTrace,
} from './support/jaeger.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';
import { runCli } from '../unit/cli/run-cli.js';
import { JOURNAL_FILE_PATTERN } from '../../src/export/journal-files.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SERVICE = 'otel-sessions-demo';
const ROW = /^ {2}(alice|bob)\s+(sess_[\w-]{24})\s+(thrd_[\w-]{24})\s+turn (\d)$/gm;

const isRoot = (trace: JaegerTrace, span: JaegerSpan): boolean =>
  !span.references.some((ref) => ref.refType === 'CHILD_OF' && ref.traceID === trace.traceID);

describe('the demo, exporting to a real Jaeger through the collector', () => {
  let stack: JaegerStack | undefined;
  let demo: ManagedProcess | undefined;
  let output = '';
  let sessions: { who: string; sessionId: string; threadId: string }[] = [];
  let traces: JaegerTrace[] = [];
  const journalDir = join(mkdtempSync(join(tmpdir(), 'otel-sessions-demo-')), 'journal');

  before(async () => {
    stack = await startJaegerStack();
    demo = startProcess({
      name: 'demo',
      command: process.execPath,
      args: ['--import', 'otel-sessions/register', '--import', 'tsx', 'examples/demo.ts'],
      cwd: repoRoot,
      env: {
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint,
        OTEL_SESSIONS_SECRET: 'demo-secret-demo-secret-demo-secret',
        OTEL_SESSIONS_LOG_CONSOLE: 'false',
        OTEL_SESSIONS_JOURNAL_DIR: journalDir,
      },
    });
    // The child is unref'd (it must never hold the test process open): poll for its end.
    const running = demo;
    await waitUntil(() => running.exitStatus() !== null, { timeoutMs: 60_000, what: 'the demo to finish' });
    output = demo.output();
    assert.deepEqual(demo.exitStatus(), { code: 0, signal: null }, output);
    sessions = [...output.matchAll(ROW)].map(([, who, sessionId, threadId]) => ({
      who: who ?? '',
      sessionId: sessionId ?? '',
      threadId: threadId ?? '',
    }));
    assert.equal(sessions.length, 6, output);
    traces = await waitForTraces(stack.queryUrl, SERVICE, {}, { until: (found) => found.length >= 6 });
  });

  after(async () => {
    await demo?.stop();
    await stack?.stop();
  });

  it("has one trace per session, rooted in the session's POST /chat server span", () => {
    const shape = traces.map((trace) => trace.spans.map((span) => span.operationName).join(', ')).join('\n');
    assert.equal(traces.length, 6, shape);
    const rootSessions = traces.map((trace) => {
      const roots = trace.spans.filter((span) => isRoot(trace, span));
      assert.equal(roots.length, 1, shape);
      const root = roots[0] as JaegerSpan;
      assert.equal(root.operationName, 'POST /chat', shape);
      assert.equal(spanTag(root, 'span.kind'), 'server');
      assert.equal(spanService(trace, root), SERVICE);
      // Every span of the trace belongs to the root's session: no span outside it.
      for (const span of trace.spans) assert.equal(spanTag(span, 'session.id'), spanTag(root, 'session.id'));
      return spanTag(root, 'session.id');
    });
    assert.deepEqual(rootSessions.sort(), sessions.map((session) => session.sessionId).sort());
  });

  it('wrote no journal, and its closing hint gives the --jaeger form, which finds the session', async () => {
    // The folder itself may exist: the default thread store keeps its SQLite file there.
    const journalFiles = existsSync(journalDir)
      ? readdirSync(journalDir).filter((name) => JOURNAL_FILE_PATTERN.test(name))
      : [];
    assert.deepEqual(journalFiles, [], 'no journal is kept when exporting');
    const first = sessions[0];
    assert.ok(first !== undefined);
    const hint = `npx otel-sessions show ${first.sessionId} --jaeger http://localhost:16686`;
    assert.ok(output.includes(`  ${hint}\n`), output);
    assert.match(output, /no local journal was kept/);
    const shown = await runCli(['show', first.sessionId, '--jaeger', stack?.queryUrl ?? '']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^POST \/chat\s+\+0 ms/m);
    assert.match(shown.out, /^└─ agent\.run MyAgent/m);
  });

  it('is found by the plain command when OTEL_SESSIONS_JAEGER_URL is set', async () => {
    const first = sessions[0];
    assert.ok(first !== undefined);
    const env = { OTEL_SESSIONS_JAEGER_URL: stack?.queryUrl ?? '', OTEL_SESSIONS_JOURNAL_DIR: journalDir };
    const shown = await runCli(['show', first.sessionId], { env });
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(`^session\\s+${first.sessionId}$`, 'm'));
    const thread = await runCli(['thread', first.threadId], { env });
    assert.equal(thread.code, 0, thread.err);
    assert.equal((thread.out.match(/POST \/chat/g) ?? []).length, 3, thread.out);
    // Without it, the journal's miss says where to look.
    const missing = await runCli(['show', first.sessionId], { env: { OTEL_SESSIONS_JOURNAL_DIR: journalDir } });
    assert.equal(missing.code, 1);
    assert.ok(missing.err.includes(`npx otel-sessions show ${first.sessionId} --jaeger http://localhost:16686`));
  });
});
