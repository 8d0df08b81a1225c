// The trust boundary for baggage: an untrusted caller's baggage stops at the service (what
// its outbound calls carry is the service's own), and every ID it claimed is recorded,
// wherever in the header it stood.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Hono } from 'hono';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { claimsInBaggageHeader } from '../../../src/edge/inbound-baggage.js';
import { sessions, type SessionsOptions } from '../../../src/hono/sessions-middleware.js';
import { newSessionId, newThreadId } from '../../../src/session/ids.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
// Outbound fetch calls propagate the active context's baggage, as in a service with auto-instrumentation.
const undici = new UndiciInstrumentation();
const SECRET = 'baggage-boundary-secret-0123456789-abcdef';
const store = new MemoryThreadStore();

/** A downstream service on loopback that records the `baggage` header of each request. */
let downstream: Server;
let downstreamUrl: string;
const received: Array<string | undefined> = [];
before(async () => {
  downstream = createServer((request, response) => {
    const { baggage } = request.headers;
    received.push(Array.isArray(baggage) ? baggage.join(',') : baggage);
    response.end('ok');
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/`;
});
after(async () => {
  undici.disable();
  await new Promise((resolve) => downstream.close(resolve));
  await store.close();
});

/** An app whose route calls the downstream service; answers its session and the baggage downstream saw. */
function app(options: SessionsOptions = {}): Hono<SessionsEnv> {
  const hono = new Hono<SessionsEnv>();
  hono.use(sessions({ threadStore: store, secret: SECRET, ...options }));
  hono.get('/', async (c) => {
    await (await fetch(downstreamUrl)).text();
    return c.json({ sessionId: c.var.sessionId, threadId: c.var.thread.id, downstream: received.at(-1) ?? null });
  });
  return hono;
}

/** The baggage header as a map of key to value. */
function entries(header: string | null): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of (header ?? '').split(',')) {
    const [key, value] = entry.split(';')[0]!.split('=');
    if (key && value) map[key.trim()] = decodeURIComponent(value.trim());
  }
  return map;
}

async function call(
  hono: Hono<SessionsEnv>,
  headers: Record<string, string>,
): Promise<{ sessionId: string; threadId: string; downstream: Record<string, string> }> {
  const response = await hono.request('/', { headers });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { sessionId: string; threadId: string; downstream: string | null };
  return { ...body, downstream: entries(body.downstream) };
}

const forged = () => `user.role=admin,tenant=acme,session.id=${newSessionId()},session.thread_id=${newThreadId()}`;

test('an untrusted caller: its baggage stops here; outbound calls carry only this session and thread', async () => {
  const answer = await call(app(), { baggage: forged() });
  assert.deepEqual(answer.downstream, { 'session.id': answer.sessionId, 'session.thread_id': answer.threadId });
});

test('keepInboundBaggage names what an untrusted caller may pass on; never the session IDs', async () => {
  const answer = await call(app({ keepInboundBaggage: ['tenant', 'session.id'] }), { baggage: forged() });
  assert.deepEqual(answer.downstream, {
    tenant: 'acme',
    'session.id': answer.sessionId,
    'session.thread_id': answer.threadId,
  });
});

test('a trusted caller: its baggage travels on as it came, with its session and thread', async () => {
  const caller = { sessionId: newSessionId(), threadId: newThreadId() };
  const answer = await call(app({ trustInbound: () => true }), {
    baggage: `user.role=admin,session.id=${caller.sessionId},session.thread_id=${caller.threadId}`,
  });
  assert.equal(answer.sessionId, caller.sessionId);
  assert.deepEqual(answer.downstream, {
    'user.role': 'admin',
    'session.id': caller.sessionId,
    'session.thread_id': caller.threadId,
  });
});

test('no inbound baggage: outbound calls carry this session and thread', async () => {
  const answer = await call(app(), {});
  assert.deepEqual(answer.downstream, { 'session.id': answer.sessionId, 'session.thread_id': answer.threadId });
});

/** The rejected-claim attributes on the root span of the session that answered. */
async function rejectedFor(hono: Hono<SessionsEnv>, baggage: string): Promise<[unknown, unknown]> {
  const { sessionId } = await call(hono, { baggage });
  const root = telemetry.spans
    .getFinishedSpans()
    .find((span) => span.kind === SpanKind.SERVER && span.attributes['session.id'] === sessionId);
  assert.ok(root, 'the root span was exported');
  return [root.attributes['session.rejected_id'], root.attributes['session.rejected_thread_id']];
}

test('every refused claim is recorded, also where the W3C limits made the propagator drop it', async () => {
  const victim = { sessionId: newSessionId(), threadId: newThreadId() };
  const many = Array.from({ length: 200 }, (_, i) => `k${i}=v`).join(',');
  const big = Array.from({ length: 3 }, (_, i) => `pad${i}=${'x'.repeat(3000)}`).join(',');
  const cases: Array<[string, string, [unknown, unknown]]> = [
    ['the thread alone', `session.thread_id=${victim.threadId}`, [undefined, victim.threadId]],
    ['after the 180th entry', `${many},session.id=${victim.sessionId}`, [victim.sessionId, undefined]],
    [
      'both after the 180th entry',
      `${many},session.thread_id=${victim.threadId}, session.id = ${victim.sessionId};p=1`,
      [victim.sessionId, victim.threadId],
    ],
    ['past 8,192 bytes', `${big},session.id=${victim.sessionId}`, [victim.sessionId, undefined]],
    [
      'in an entry over 4,096 bytes',
      `session.thread_id=${victim.threadId}${' '.repeat(5000)}`,
      [undefined, victim.threadId],
    ],
    [
      'percent-encoded key, past the limits',
      `${many},session%2Ethread_id=${victim.threadId}`,
      [undefined, victim.threadId],
    ],
    ['malformed values', `${many},session.id=%E0%A4%A,session.thread_id=thrd_short`, ['malformed', 'malformed']],
  ];
  for (const hono of [app(), app({ trustInbound: () => true })]) {
    for (const [what, baggage, expected] of cases) {
      telemetry.spans.reset();
      assert.deepEqual(await rejectedFor(hono, baggage), expected, what);
    }
  }
});

test('a rejected claim is warned about, rate-limited like every request-triggered warning', async () => {
  telemetry.logs.reset();
  await call(app(), { baggage: `session.id=${newSessionId()}` });
  const warnings = telemetry.logs
    .getFinishedLogRecords()
    .filter((record) => String(record.body).includes('claimed a session or thread in baggage'));
  assert.equal(warnings.length, 1);
});

test('claimsInBaggageHeader: the first claim of each ID, trimmed and decoded; nothing when neither is named', () => {
  const sessionId = newSessionId();
  const threadId = newThreadId();
  assert.equal(claimsInBaggageHeader('user.role=admin,tenant=acme'), undefined);
  assert.equal(claimsInBaggageHeader(''), undefined);
  assert.equal(claimsInBaggageHeader('session=1,session.idx=2,xsession.id=3'), undefined);
  assert.deepEqual(claimsInBaggageHeader(` session.id =  ${sessionId} ;prop=1,session.id=sess_other`), {
    sessionId,
    threadId: undefined,
  });
  assert.deepEqual(claimsInBaggageHeader(`session%2Ethread_id=${threadId}`), { sessionId: undefined, threadId });
  assert.deepEqual(claimsInBaggageHeader('session.id=,session.thread_id=%ZZ'), {
    sessionId: 'malformed',
    threadId: 'malformed',
  });
  assert.deepEqual(claimsInBaggageHeader(`a=%,session.thread_id=${threadId},`), { sessionId: undefined, threadId });
});
