/**
 * Straight to Jaeger, without a collector (docs/jaeger.md): Jaeger takes spans and answers
 * 404 to log records. A real Express app under `--import otel-sessions/register` is told so
 * once, then stops making log records rather than making, encoding and sending each one for
 * nothing, and each record still reaches Jaeger as a `log` event on its span.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startJaegerStack, waitForTraces, type JaegerStack } from './support/jaeger.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const expressApp = fileURLToPath(new URL('./apps/frameworks/express.mjs', import.meta.url));
const SERVICE = 'straight-to-jaeger';
const NOT_TAKEN = 'does not take OTLP log records';

describe('straight to Jaeger: log records it does not take', () => {
  let stack: JaegerStack;
  let downstream: Server;
  let app: ManagedProcess;
  let base = '';

  before(async () => {
    stack = await startJaegerStack();
    downstream = createServer((_request, response) => response.end('{"ok":true}'));
    await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
    const downstreamUrl = `http://127.0.0.1:${(downstream.address() as { port: number }).port}/lookup`;
    app = startProcess({
      name: SERVICE,
      command: process.execPath,
      args: ['--import', 'otel-sessions/register', expressApp],
      cwd: root,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: stack.jaegerOtlpHttpEndpoint,
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_BLRP_SCHEDULE_DELAY: '50',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_SESSIONS_JOURNAL_DIR: mkdtempSync(join(tmpdir(), 'otel-sessions-direct-')),
        OTEL_SESSIONS_LOG_CONSOLE: 'false',
        DOWNSTREAM_URL: downstreamUrl,
        PORT: '0',
      },
    });
    await waitUntil(
      () => {
        const match = /listening on (\d+)/.exec(app.output());
        if (match) base = `http://127.0.0.1:${match[1]}`;
        if (app.exitStatus() !== null) throw new Error(`the app exited: ${app.output()}`);
        return base !== '';
      },
      { timeoutMs: 20_000, what: 'the app listening' },
    );
  });
  after(async () => {
    await app.stop();
    downstream.close();
    await stack.stop();
  });

  async function chat(message: string): Promise<string> {
    const response = await fetch(`${base}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { sessionId: string }).sessionId;
  }

  test('told once; no log record is made after the 404; each record is still an event on its span in Jaeger', async () => {
    for (let i = 0; i < 3; i++) await chat(`before ${i}`);
    await waitUntil(() => app.output().includes(NOT_TAKEN), {
      timeoutMs: 15_000,
      what: "the message about Jaeger's 404",
    });
    const later: string[] = [];
    for (let i = 0; i < 30; i++) later.push(await chat(`after ${i}`));
    process.kill(app.pid, 'SIGTERM');
    await app.exited;

    const output = app.output();
    // The first refusal, then what was dropped since at shutdown: never one message per batch.
    const told = output.split(NOT_TAKEN).length - 1;
    assert.ok(told >= 1 && told <= 2, output);
    const dropped = [...output.matchAll(/(\d+) log records were dropped/g)].reduce((sum, [, n]) => sum + Number(n), 0);
    // Each request logs at least one record: the 30 later requests' records were never made.
    assert.ok(dropped >= 1 && dropped < 30, `${dropped} log records dropped:\n${output}`);

    const last = later.at(-1) ?? '';
    const [trace] = await waitForTraces(stack.queryUrl, SERVICE, { 'session.id': last }, { timeoutMs: 15_000 });
    const events = (trace?.spans ?? []).flatMap((span) => span.logs);
    assert.ok(
      events.some((event) => event.fields.some((field) => field.value === 'remembered')),
      `the record as a log event: ${JSON.stringify(trace?.spans.map((span) => span.logs))}`,
    );
  });
});
