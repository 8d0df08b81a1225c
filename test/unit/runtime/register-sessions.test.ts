import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordsIn } from '../export/spool-segments.js';

const root = join(import.meta.dirname, '../../..');

interface FlatSpan {
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** Every span in a journal (or spool) folder, flattened from its OTLP-JSON requests. */
function journalSpans(dir: string): FlatSpan[] {
  const spans: FlatSpan[] = [];
  // Journal files hold a request per line; spool segments a request per record.
  const requests = [
    ...readdirSync(dir)
      .filter((name) => name.startsWith('spans-'))
      .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean)),
    ...recordsIn(dir).map((record) => record.payload.toString('utf8')),
  ];
  for (const request of requests) {
    for (const resource of JSON.parse(request).resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          const attributes = Object.fromEntries(
            (span.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [
              a.key,
              Object.values(a.value)[0],
            ]),
          );
          spans.push({ name: span.name, kind: span.kind, attributes });
        }
      }
    }
  }
  return spans;
}

const SERVER = 2;
const CLIENT = 3;

for (const [flag, app] of [
  ['--import', 'esm-app.mjs'],
  ['--require', 'cjs-app.cjs'],
] as const) {
  test(`node ${flag} otel-sessions/register ${app}: server, http client and fetch spans, client spans in the session`, () => {
    const journal = mkdtempSync(join(tmpdir(), 'otel-sessions-register-'));
    const result = spawnSync(process.execPath, [flag, 'otel-sessions/register', join(root, 'test/fixtures', app)], {
      cwd: root,
      env: {
        ...process.env,
        OTEL_SESSIONS_JOURNAL_DIR: journal,
        OTEL_SERVICE_NAME: 'register-test',
        OTEL_SESSIONS_LOG_CONSOLE: 'false',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 0, result.stderr);
    const { ids, seen } = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
    assert.equal(seen.inside, ids.sessionId);
    // Both IDs crossed the wire in W3C baggage, from http and from fetch.
    for (const baggage of [seen.viaHttp, seen.viaFetch]) {
      assert.match(baggage, new RegExp(`session\\.id=${ids.sessionId}`));
      assert.match(baggage, new RegExp(`session\\.thread_id=${ids.threadId}`));
    }
    const spans = journalSpans(journal);
    const clients = spans.filter((span) => span.kind === CLIENT);
    const servers = spans.filter((span) => span.kind === SERVER);
    assert.equal(servers.length, 2, `server spans: ${JSON.stringify(spans.map((s) => [s.name, s.kind]))}`);
    assert.equal(clients.length, 2, 'one http.get client span and one fetch (undici) client span');
    for (const span of clients) {
      assert.equal(span.attributes['session.id'], ids.sessionId);
      assert.equal(span.attributes['session.thread_id'], ids.threadId);
    }
    // The plain http server is a session of its own at the edge: it trusts no inbound baggage,
    // so its requests get their own IDs, never the caller's.
    const serverSessions = new Set(servers.map((span) => span.attributes['session.id']));
    assert.equal(serverSessions.size, 2, 'each request its own session');
    for (const span of servers) {
      assert.match(String(span.attributes['session.id']), /^sess_/);
      assert.notEqual(span.attributes['session.id'], ids.sessionId);
      assert.match(String(span.attributes['session.thread_id']), /^thrd_/);
      assert.notEqual(span.attributes['session.thread_id'], ids.threadId);
    }
  });
}

test('an unreachable collector never blocks or crashes the process; it exits with its spans on disk and says where', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const journal = mkdtempSync(join(tmpdir(), 'otel-sessions-unreachable-'));
  const result = spawnSync(
    process.execPath,
    ['--import', 'otel-sessions/register', join(root, 'test/fixtures/esm-app.mjs')],
    {
      cwd: root,
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
        // OTLP JSON in the spool too, so that the test can read it.
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SESSIONS_JOURNAL_DIR: journal,
        OTEL_SESSIONS_LOG_CONSOLE: 'false',
      },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(result.status, 0, result.stderr);
  // What could not be sent by shutdown stays in the spool, for the next process; not lost.
  const spool = join(journal, 'spool', 'spans');
  assert.match(
    result.stderr,
    new RegExp(`\\d+ spans not yet accepted by http://127\\.0\\.0\\.1:${closedPort}/v1/traces stay in ${spool}`),
  );
  const { ids } = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
  assert.ok(journalSpans(spool).some((span) => span.attributes['session.id'] === ids.sessionId));
});
