// The demo: a few sessions across two threads through the example service, then where
// their spans went and the command that shows one of them. Run it with `npm run demo`.
import { serve } from '@hono/node-server';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { AddressInfo } from 'node:net';
import { registerSessions } from 'otel-sessions';
import { createApp } from './app.js';

const otel = registerSessions(); // already started by --import otel-sessions/register: returns that handle
const server = serve({ fetch: createApp().fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function turn(
  thread: { token?: string },
  message: string,
): Promise<{ sessionId: string; threadId: string; turns: number }> {
  // The demo plays the app's outside users, whose requests a real service never traces: with
  // tracing suppressed, its fetch makes no client span and sends no traceparent, so each
  // trace's root is the session's own server span (`POST /chat`), as in production.
  const response = await context.with(suppressTracing(context.active()), () =>
    fetch(`${base}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(thread.token ? { 'x-thread-id': thread.token } : {}) },
      body: JSON.stringify({ message }),
    }),
  );
  thread.token = response.headers.get('x-thread-id') ?? undefined;
  const body = (await response.json()) as { sessionId: string; turns: number };
  return { sessionId: body.sessionId, threadId: thread.token?.split('.')[0] ?? '?', turns: body.turns };
}

const alice = {};
const bob = {};
const rows: Array<{ who: string; sessionId: string; threadId: string; turns: number }> = [];
for (let round = 1; round <= 3; round++) {
  // The two conversations' turns run at the same time.
  const [a, b] = await Promise.all([turn(alice, `alice says hello #${round}`), turn(bob, `bob asks #${round}`)]);
  rows.push({ who: 'alice', ...a }, { who: 'bob', ...b });
}
server.close();
await otel.shutdown();

process.stdout.write('\nSessions (each request is one; each conversation is one thread):\n');
for (const row of rows)
  process.stdout.write(`  ${row.who.padEnd(6)} ${row.sessionId}  ${row.threadId}  turn ${row.turns}\n`);
process.stdout.write(`\nSpans and log records went to: ${otel.destination}\n`);

// The commands that find them: the plain form reads the local journal (and Jaeger, when
// OTEL_SESSIONS_JAEGER_URL is set); after an export without the journal, Jaeger's query API.
const journalDir = process.env.OTEL_SESSIONS_JOURNAL_DIR || '.otel-sessions';
const inJournal = otel.destination.split(' and ').includes(journalDir);
const jaegerFlag = inJournal || process.env.OTEL_SESSIONS_JAEGER_URL ? '' : ' --jaeger http://localhost:16686';
const first = rows[0];
process.stdout.write(
  `\nSee one session:\n  npx otel-sessions show ${first?.sessionId}${jaegerFlag}\n` +
    `  npx otel-sessions logs ${first?.sessionId}${jaegerFlag}\n` +
    `  npx otel-sessions thread ${first?.threadId}${jaegerFlag}\n`,
);
if (jaegerFlag !== '') {
  process.stdout.write(
    '(no local journal was kept: the telemetry went to the collector; use the URL of the Jaeger it feeds,\n' +
      ' or set OTEL_SESSIONS_JAEGER_URL once instead of --jaeger)\n',
  );
}
