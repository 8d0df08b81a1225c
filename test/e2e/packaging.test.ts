/**
 * The package as a user gets it: `npm pack`, the tarball installed into a fresh app beside
 * today's OpenTelemetry JS (api 1.10, sdk-node 0.301, auto-instrumentations-node 0.82), and
 * that app (test/e2e/consumer/) run under `node --import otel-sessions/register` (ESM) and
 * `node --require otel-sessions/register` (CommonJS), exporting to a real collector and Jaeger.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startJaegerStack, spanTag, waitForTraces, type JaegerSpan, type JaegerStack } from './support/jaeger.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const consumerSources = fileURLToPath(new URL('./consumer/', import.meta.url));

/** What a user of today's OpenTelemetry JS has installed next to us. */
const USER_DEPENDENCIES = {
  '@opentelemetry/api': '1.10.0',
  '@opentelemetry/sdk-node': '0.301.0',
  '@opentelemetry/auto-instrumentations-node': '0.82.0',
  '@hono/node-server': '^2.1.0',
  hono: '^4.6.0',
  winston: '^3.19.0',
};

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${output}`);
  return output;
}

describe('the packed tarball in a fresh app beside current OpenTelemetry packages', () => {
  let app: string;
  let installOutput: string;
  let stack: JaegerStack;
  const apps: ManagedProcess[] = [];

  before(async () => {
    app = mkdtempSync(join(tmpdir(), 'otel-sessions-consumer-'));
    run('npm', ['pack', '--silent', '--pack-destination', app], repoRoot);
    const tarball = readdirSync(app).find((file) => file.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        dependencies: { 'otel-sessions': `file:./${tarball}`, ...USER_DEPENDENCIES },
      }),
    );
    for (const file of ['app.mjs', 'app.cjs']) copyFileSync(join(consumerSources, file), join(app, file));
    installOutput = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
    stack = await startJaegerStack();
  });

  after(async () => {
    await Promise.all(apps.map((child) => child.stop()));
    await stack?.stop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('installs with no ERESOLVE, no peer and no engine warning', () => {
    assert.doesNotMatch(installOutput, /ERESOLVE|peer dep|overriding peer|EBADENGINE|unmet/i, installOutput);
    const tree = run('npm', ['ls', '--all', '@opentelemetry/api'], app);
    assert.doesNotMatch(tree, /invalid|UNMET/i, tree);
    // One API instance: the user's, shared by their SDK and by otel-sessions.
    assert.deepEqual([...new Set(tree.match(/@opentelemetry\/api@[\d.]+/g))], ['@opentelemetry/api@1.10.0']);
  });

  for (const [flag, entry, service] of [
    ['--import', 'app.mjs', 'consumer-esm'],
    ['--require', 'app.cjs', 'consumer-cjs'],
  ] as const) {
    it(`${entry} under node ${flag} otel-sessions/register: both IDs on the server and the client spans`, async () => {
      const child = startProcess({
        name: service,
        command: process.execPath,
        args: [flag, 'otel-sessions/register', entry],
        cwd: app,
        env: {
          OTEL_SERVICE_NAME: service,
          OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint,
          OTEL_SESSIONS_SECRET: 'consumer-secret-consumer-secret-0123456789',
          OTEL_SESSIONS_LOG_CONSOLE: 'false',
        },
      });
      apps.push(child);
      let port = 0;
      await waitUntil(
        () => {
          if (child.exitStatus() !== null) throw new Error(`${service} exited:\n${child.output()}`);
          port = Number(/listening on (\d+)/.exec(child.output())?.[1] ?? 0);
          return port > 0;
        },
        { timeoutMs: 30_000, what: `${service} to listen` },
      );

      const response = await fetch(`http://127.0.0.1:${port}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'hello' }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as { sessionId: string };
      assert.match(body.sessionId, /^sess_/);
      assert.equal(response.headers.get('x-session-id'), body.sessionId);

      const [trace] = await waitForTraces(
        stack.queryUrl,
        service,
        { 'session.id': body.sessionId },
        {
          until: (traces) => traces.some((t) => kinds(t.spans).has('server') && kinds(t.spans).has('client')),
          timeoutMs: 30_000,
        },
      );
      assert.ok(trace);
      // The app's own server span (the trace also holds its downstream's, in no fixed order).
      const server = trace.spans.find(
        (span) => spanTag(span, 'span.kind') === 'server' && span.operationName === 'POST /chat',
      );
      const client = trace.spans.find((span) => spanTag(span, 'span.kind') === 'client');
      assert.ok(server, `no POST /chat server span: ${trace.spans.map((span) => span.operationName).join(', ')}`);
      assert.ok(client);
      const threadId = spanTag(server, 'session.thread_id');
      assert.match(String(threadId), /^thrd_/);
      for (const span of [server, client]) {
        assert.equal(spanTag(span, 'session.id'), body.sessionId, `${span.operationName} lacks session.id`);
        assert.equal(spanTag(span, 'session.thread_id'), threadId, `${span.operationName} lacks session.thread_id`);
      }
      await child.stop();
      assert.doesNotMatch(child.output(), /Error|TypeError|ERR_/, child.output());
    });
  }
});

function kinds(spans: JaegerSpan[]): Set<unknown> {
  return new Set(spans.map((span) => spanTag(span, 'span.kind')));
}
