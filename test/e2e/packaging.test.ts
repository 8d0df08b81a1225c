/**
 * The package as a user gets it: `npm pack`, the tarball installed into a fresh app beside
 * today's OpenTelemetry JS (api 1.10, sdk-node 0.301, auto-instrumentations-node 0.82), and
 * that app (test/e2e/consumer/) run under `node --import otel-sessions/register` (ESM) and
 * `node --require otel-sessions/register` (CommonJS), exporting to a real collector and Jaeger;
 * and the same app under the user's own NodeSDK with auto-instrumentations-node, to which
 * `sessionsConfiguration()` adds sessions. In both apps (with hono, and without it: an optional
 * peer) every entry loads under `import` and `require` with exactly the exports of
 * test/support/public-api.ts, and a TypeScript consumer of the entries type-checks against the
 * installed declarations with skipLibCheck off (so a type that `stripInternal` removed but a
 * public declaration still names fails it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PUBLIC_EXPORTS, type EntrySubpath } from '../support/public-api.js';
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
  // What instrumentation-winston needs to send log records (it is an optional peer of it).
  '@opentelemetry/winston-transport': '0.34.0',
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

/**
 * A fresh app folder named `name`: the packed tarball and `dependencies` in its package.json,
 * `files` copied from consumer/, `npm install` run. Returns the folder and what npm printed.
 */
function installConsumer(
  name: string,
  dependencies: Record<string, string>,
  files: readonly string[],
): { app: string; installOutput: string } {
  const app = mkdtempSync(join(tmpdir(), `otel-sessions-${name}-`));
  run('npm', ['pack', '--silent', '--pack-destination', app], repoRoot);
  const tarball = readdirSync(app).find((file) => file.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote no tarball');
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name, private: true, dependencies: { 'otel-sessions': `file:./${tarball}`, ...dependencies } }),
  );
  for (const file of files) copyFileSync(join(consumerSources, file), join(app, file));
  const installOutput = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  return { app, installOutput };
}

describe('the packed tarball in a fresh app beside current OpenTelemetry packages', () => {
  let app: string;
  let installOutput: string;
  let stack: JaegerStack;
  const apps: ManagedProcess[] = [];

  before(async () => {
    ({ app, installOutput } = installConsumer('consumer', USER_DEPENDENCIES, [
      'app.mjs',
      'app.cjs',
      'otel.cjs',
      'app-own-sdk.cjs',
      'types.mts',
      'types.cts',
    ]));
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

  it('loads every entry under import and require with exactly its listed exports', () => {
    assertEntriesLoad(app, ['.', './sdk', './hono', './express', './fastify', './koa']);
  });

  it('type-checks a TypeScript app (ES module and CommonJS) using every entry, skipLibCheck off', () => {
    assertTypeChecks(app, ['types.mts', 'types.cts'], ['ioredis']);
  });

  for (const [flag, entry, service] of [
    ['--import', 'app.mjs', 'consumer-esm'],
    ['--require', 'app.cjs', 'consumer-cjs'],
  ] as const) {
    it(`${entry} under node ${flag} otel-sessions/register: both IDs on the server and the client spans`, async () => {
      const { child, sessionId } = await startAndChat(service, [flag, 'otel-sessions/register', entry]);
      await assertSessionSpans(service, sessionId);
      await child.stop();
      assert.doesNotMatch(child.output(), /Error|TypeError|ERR_/, child.output());
    });
  }

  it("the user's own NodeSDK + auto-instrumentations with sessionsConfiguration(): IDs on http, undici and winston telemetry, no log record twice", async () => {
    const service = 'consumer-own-sdk';
    const { child, sessionId } = await startAndChat(service, ['--require', './otel.cjs', 'app-own-sdk.cjs']);
    await assertSessionSpans(service, sessionId);
    // Log records reach the collector (its debug exporter prints each one): the app's plain
    // winston logger through instrumentation-winston, the sessions logger through ours.
    const records = (): string[] =>
      stack
        .collectorOutput()
        .split(/LogRecord #\d+/)
        .filter((record) => record.includes(`Str(${sessionId})`));
    await waitUntil(() => records().length >= 2, { timeoutMs: 30_000, what: 'both log records at the collector' });
    await new Promise((resolve) => setTimeout(resolve, 2000)); // a duplicate would arrive in the same batches
    const plain = records().filter((record) => record.includes('Body: Str(plain winston line)'));
    const ours = records().filter((record) => record.includes('Body: Str(sessions logger line)'));
    assert.equal(plain.length, 1, `plain winston line exported ${plain.length} times`);
    assert.equal(ours.length, 1, `sessions logger line exported ${ours.length} times`);
    for (const record of [...plain, ...ours]) {
      assert.match(record, new RegExp(`-> session\\.id: Str\\(${sessionId}\\)`));
      assert.match(record, /-> session\.thread_id: Str\(thrd_/);
    }
    await child.stop();
  });

  /** Starts the consumer app with `args`, waits for it to listen, and has one chat turn. */
  async function startAndChat(service: string, args: string[]): Promise<{ child: ManagedProcess; sessionId: string }> {
    const { child, port } = await startConsumer(service, args, app, stack.otlpHttpEndpoint);
    apps.push(child);
    const response = await fetch(`http://127.0.0.1:${port}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello' }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { sessionId: string };
    assert.match(body.sessionId, /^sess_/);
    assert.equal(response.headers.get('x-session-id'), body.sessionId);
    return { child, sessionId: body.sessionId };
  }

  /** The session's trace in Jaeger: its root server span and the agent's client span carry both IDs. */
  async function assertSessionSpans(service: string, sessionId: string): Promise<void> {
    const body = { sessionId };
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
    // The session's root: the app's server span (the downstream service's own server span has no session).
    const server = trace.spans.find((span) => spanTag(span, 'span.kind') === 'server' && span.references.length === 0);
    const client = trace.spans.find((span) => spanTag(span, 'span.kind') === 'client');
    assert.ok(server && client);
    assert.equal(server.operationName, 'POST /chat');
    const threadId = spanTag(server, 'session.thread_id');
    assert.match(String(threadId), /^thrd_/);
    for (const span of [server, client]) {
      assert.equal(spanTag(span, 'session.id'), body.sessionId, `${span.operationName} lacks session.id`);
      assert.equal(spanTag(span, 'session.thread_id'), threadId, `${span.operationName} lacks session.thread_id`);
    }
  }
});

describe('the packed tarball in a fresh Express app without hono (an optional peer)', () => {
  let app: string;
  let stack: JaegerStack;
  const apps: ManagedProcess[] = [];

  before(async () => {
    ({ app } = installConsumer('express-consumer', { '@opentelemetry/api': '1.10.0', express: '^5.1.0' }, [
      'express-app.mjs',
      'express-app.cjs',
      'types-no-hono.mts',
    ]));
    stack = await startJaegerStack();
  });

  after(async () => {
    await Promise.all(apps.map((child) => child.stop()));
    await stack?.stop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('has no hono installed', () => {
    assert.equal(existsSync(join(app, 'node_modules/hono')), false);
  });

  it('loads every entry but otel-sessions/hono under import and require with exactly its listed exports', () => {
    assertEntriesLoad(app, ['.', './sdk', './express', './fastify', './koa']);
  });

  it('type-checks a TypeScript app using every entry but otel-sessions/hono, skipLibCheck off', () => {
    assertTypeChecks(app, ['types-no-hono.mts'], ['hono', 'ioredis']);
  });

  for (const [flag, entry, service] of [
    ['--import', 'express-app.mjs', 'express-esm'],
    ['--require', 'express-app.cjs', 'express-cjs'],
  ] as const) {
    it(`${entry} under node ${flag} otel-sessions/register: sessions and a thread from the flag alone, no warning`, async () => {
      const { child, port } = await startConsumer(
        service,
        [flag, 'otel-sessions/register', entry],
        app,
        stack.otlpHttpEndpoint,
      );
      apps.push(child);
      let cookie = '';
      let first: { sessionId: string; threadId: string } | undefined;
      for (const [turn, message] of ['one', 'two'].entries()) {
        const response = await fetch(`http://127.0.0.1:${port}/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie },
          body: JSON.stringify({ message }),
        });
        assert.equal(response.status, 200, await response.clone().text());
        const body = (await response.json()) as {
          sessionId: string;
          fromGetter: string;
          threadId: string;
          messages: string[];
        };
        assert.match(body.sessionId, /^sess_/);
        assert.equal(body.fromGetter, body.sessionId);
        assert.equal(response.headers.get('x-session-id'), body.sessionId);
        assert.deepEqual(body.messages, ['one', 'two'].slice(0, turn + 1));
        first ??= body;
        assert.equal(body.threadId, first.threadId);
        cookie = (response.headers.get('set-cookie') ?? cookie).split(';')[0] ?? '';
      }
      assert.ok(first);
      const [trace] = await waitForTraces(
        stack.queryUrl,
        service,
        { 'session.id': first.sessionId },
        { timeoutMs: 30_000 },
      );
      const server = trace?.spans.find((span) => spanTag(span, 'span.kind') === 'server');
      assert.ok(server, 'the server span, found by session.id');
      assert.equal(spanTag(server, 'session.thread_id'), first.threadId);
      await child.stop();
      assert.doesNotMatch(child.output(), /Error|ERR_|import-in-the-middle|Warning/, child.output());
    });
  }
});

/**
 * Loads each entry of `subpaths` in the app `cwd`, once with `import()` and once with
 * `require()` (not `./register`, which would start an SDK), and checks its runtime exports
 * against test/support/public-api.ts.
 */
function assertEntriesLoad(cwd: string, subpaths: readonly Exclude<EntrySubpath, './register'>[]): void {
  const specifiers = subpaths.map((subpath) => `otel-sessions${subpath.slice(1)}`);
  const expected = Object.fromEntries(specifiers.map((specifier, i) => [specifier, [...PUBLIC_EXPORTS[subpaths[i]!]]]));
  const list = JSON.stringify(specifiers);
  const esm = `const out = {}; for (const s of ${list}) out[s] = Object.keys(await import(s)).sort(); console.log(JSON.stringify(out));`;
  const cjs = `const out = {}; for (const s of ${list}) out[s] = Object.keys(require(s)).sort(); console.log(JSON.stringify(out));`;
  for (const [format, args] of [
    ['ESM', ['--input-type=module', '-e', esm]],
    ['CommonJS', ['-e', cjs]],
  ] as const) {
    const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, `${format}: ${result.stdout}${result.stderr}`);
    assert.deepEqual(JSON.parse(result.stdout), expected, `${format} exports`);
  }
}

/**
 * Type-checks `files` (copied from consumer/) in the app `cwd` with this repository's tsc,
 * NodeNext resolution and skipLibCheck off, so the installed declarations are checked too. The
 * only errors allowed are in otel-sessions' declarations, for an optional peer the app did not
 * install (`uninstalledPeers`): "Cannot find module 'hono'".
 */
function assertTypeChecks(cwd: string, files: readonly string[], uninstalledPeers: readonly string[]): void {
  writeFileSync(
    join(cwd, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(repoRoot, 'node_modules/@types')],
      },
      files,
    }),
  );
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(result.error, undefined, String(result.error));
  const errors = result.stdout.split('\n').filter((line) => /: error TS\d+:/.test(line));
  const unexpected = errors.filter(
    (line) =>
      !(
        line.startsWith('node_modules/otel-sessions/') &&
        uninstalledPeers.some((peer) => line.includes(`error TS2307: Cannot find module '${peer}'`))
      ),
  );
  assert.deepEqual(unexpected, [], result.stdout);
  assert.ok(result.status === 0 || errors.length > 0, `tsc exited ${result.status}:\n${result.stdout}${result.stderr}`);
}

/** Starts a consumer app in `cwd`, exporting to `endpoint`, and waits for the port it prints. */
async function startConsumer(
  service: string,
  args: string[],
  cwd: string,
  endpoint: string,
): Promise<{ child: ManagedProcess; port: number }> {
  const child = startProcess({
    name: service,
    command: process.execPath,
    args,
    cwd,
    env: {
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SESSIONS_SECRET: 'consumer-secret-consumer-secret-0123456789',
      OTEL_SESSIONS_LOG_CONSOLE: 'false',
    },
  });
  let port = 0;
  await waitUntil(
    () => {
      if (child.exitStatus() !== null) throw new Error(`${service} exited:\n${child.output()}`);
      port = Number(/listening on (\d+)/.exec(child.output())?.[1] ?? 0);
      return port > 0;
    },
    { timeoutMs: 30_000, what: `${service} to listen` },
  );
  return { child, port };
}

function kinds(spans: JaegerSpan[]): Set<unknown> {
  return new Set(spans.map((span) => spanTag(span, 'span.kind')));
}
