// Properties of sessions() against whatever arrives on the wire from an untrusted caller:
// baggage headers of any size, entry count and encoding, cookies, and thread tokens. Never
// a 5xx; never a session or thread ID taken from the wire, except a thread whose signed
// token this service gave out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, propagation, SpanKind } from '@opentelemetry/api';
import fc from 'fast-check';
import { Hono } from 'hono';
import type { SessionsEnv } from '../../../src/hono/env.js';
import { sessions } from '../../../src/hono/sessions-middleware.js';
import { ThreadTokenCodec } from '../../../src/edge/thread-token.js';
import { isSessionId, isThreadId, newSessionId, newThreadId } from '../../../src/session/ids.js';
import { MemoryThreadStore } from '../../../src/thread/memory-thread-store.js';
import { installTestTelemetry } from '../../support/otel.js';

const telemetry = installTestTelemetry();
const SECRET = 'property-secret-property-secret-0123456789';
const codec = new ThreadTokenCodec(SECRET);
const stranger = new ThreadTokenCodec(SECRET.replace('p', 'q'));
// Room for every thread the runs start, so that the issued ones are never evicted.
const store = new MemoryThreadStore({ maxThreads: 100_000 });
const RUNS = { numRuns: 10_000 };

interface Answer {
  status: number;
  sessionId: string;
  threadId: string;
  /** The baggage an outbound call made by the handler would carry. */
  outbound: string;
}

const hono = new Hono<SessionsEnv>();
hono.use(sessions({ threadStore: store, secret: SECRET, keepInboundBaggage: ['kept'] }));
hono.get('/', async (c) => {
  await c.var.thread.state.set('seen', true);
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return c.json({ sessionId: c.var.sessionId, threadId: c.var.thread.id, outbound: carrier['baggage'] ?? '' });
});

async function call(headers: Record<string, string>): Promise<Answer> {
  const response = await hono.request('/', { headers });
  const body = (await response.json()) as Omit<Answer, 'status'>;
  return { status: response.status, ...body };
}

/** Threads this service started, with the tokens it gave out for them. */
const issued: Array<{ threadId: string; token: string }> = [];
before(async () => {
  for (let i = 0; i < 5; i++) {
    const response = await hono.request('/');
    const { threadId } = (await response.json()) as { threadId: string };
    issued.push({ threadId, token: response.headers.get('x-thread-id') ?? '' });
  }
});
after(() => store.close());

/** Header-safe text: printable ASCII and Latin-1, no control characters. */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }))
  .map((code) => String.fromCharCode(code));
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

/** A claimed ID: well formed (fresh or one this service issued) or not. */
const claimedId = (prefix: 'sess_' | 'thrd_') =>
  fc.oneof(
    fc.constant(null).map(() => (prefix === 'sess_' ? newSessionId() : newThreadId())),
    fc.constantFrom(...['a', 'b', 'c', 'd', 'e'].map((_, i) => i)).map((i) => issued[i]?.threadId ?? ''),
    headerText(40).map((tail) => prefix + tail),
  );

/** One baggage entry: ordinary, percent-encoded Unicode, raw Latin-1, oversized, or a claim of either ID. */
const baggageEntry = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/), fc.stringMatching(/^[\w.-]{1,20}$/))
      .map(([k, v]) => `${k}=${v}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('kept', 'user.role', 'x'), fc.string({ unit: 'grapheme', maxLength: 20 }))
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
  },
  { weight: 2, arbitrary: headerText(60).filter((text) => !text.includes(',')) },
  { weight: 1, arbitrary: fc.integer({ min: 4000, max: 9000 }).map((n) => `big=${'v'.repeat(n)}`) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(' ', '', '\t'), claimedId('sess_'), fc.constantFrom('', ';p=1', ' '))
      .map(([pad, id, tail]) => `${pad}session.id${pad}=${pad}${encodeURIComponent(id)}${tail}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(claimedId('thrd_'), fc.boolean())
      .map(([id, encodedKey]) => `${encodedKey ? 'session%2Ethread_id' : 'session.thread_id'}=${id}`),
  },
);
/** A baggage header: up to 400 entries (past the W3C 180), some headers far past 8,192 bytes. */
const baggageHeader = fc.array(baggageEntry, { maxLength: 400 }).map((entries) => entries.join(','));

/** The IDs the wire mentions anywhere, in any of the given texts. */
function idsIn(...texts: string[]): Set<string> {
  const found = new Set<string>();
  for (const text of texts) {
    for (const match of decodeLoosely(text).matchAll(/(?:sess|thrd)_[A-Za-z0-9_-]{24}/g)) found.add(match[0]);
  }
  return found;
}
function decodeLoosely(text: string): string {
  try {
    return text + decodeURIComponent(text);
  } catch {
    return text;
  }
}

function outboundEntries(header: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of header.split(',').filter(Boolean)) {
    const [key = '', value = ''] = entry.split('=');
    map.set(key, decodeURIComponent(value));
  }
  return map;
}

test('property: any baggage header from an untrusted caller: 200, fresh IDs, only kept keys travel on, claims recorded', async () => {
  await fc.assert(
    fc.asyncProperty(baggageHeader, async (baggage) => {
      telemetry.spans.reset();
      const answer = await call({ baggage });
      assert.equal(answer.status, 200);
      assert.ok(isSessionId(answer.sessionId) && isThreadId(answer.threadId));
      const onWire = idsIn(baggage);
      assert.ok(!onWire.has(answer.sessionId), 'the session ID is not from the wire');
      assert.ok(!onWire.has(answer.threadId), 'the thread ID is not from the wire');

      const outbound = outboundEntries(answer.outbound);
      assert.equal(outbound.get('session.id'), answer.sessionId);
      assert.equal(outbound.get('session.thread_id'), answer.threadId);
      for (const key of outbound.keys())
        assert.ok(['session.id', 'session.thread_id', 'kept'].includes(key), `${key} did not travel on`);

      const root = telemetry.spans.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
      assert.equal(root?.attributes['session.id'], answer.sessionId);
      const claimedSession = /(^|,)\s*session\.id\s*=/.test(baggage);
      const claimedThread = /(^|,)\s*session(\.|%2E)thread_id\s*=/.test(baggage);
      assert.equal(root?.attributes['session.rejected_id'] !== undefined, claimedSession, 'session claim recorded');
      assert.equal(
        root?.attributes['session.rejected_thread_id'] !== undefined,
        claimedThread,
        'thread claim recorded',
      );
    }),
    RUNS,
  );
});

/** A thread token as a client may send it: issued, tampered, signed elsewhere, for an unknown thread, or noise. */
const threadToken = fc.oneof(
  fc.integer({ min: 0, max: 4 }).map((i) => issued[i]?.token ?? ''),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.nat(), headerChar).map(([i, at, char]) => {
    const token = issued[i]?.token ?? '';
    const position = at % token.length;
    return token.slice(0, position) + char + token.slice(position + 1);
  }),
  fc.integer({ min: 0, max: 4 }).map((i) => stranger.sign(issued[i]?.threadId ?? '')),
  fc.constant(null).map(() => codec.sign(newThreadId())),
  fc
    .tuple(fc.integer({ min: 0, max: 4 }), headerText(3), headerText(3))
    .map(([i, a, b]) => a + (issued[i]?.token ?? '') + b),
  headerText(120),
);
/** A cookie header: several cookies, the thread cookie among them (maybe twice), values plain, quoted or encoded. */
const cookieHeader = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constant('otel_sessions_thread'), fc.stringMatching(/^[a-z_]{1,12}$/)),
      threadToken,
      fc.constantFrom('plain', 'quoted', 'encoded'),
    ),
    { maxLength: 6 },
  )
  .map((cookies) =>
    cookies
      .map(([name, value, form]) =>
        form === 'quoted'
          ? `${name}="${value}"`
          : form === 'encoded'
            ? `${name}=${encodeURIComponent(value)}`
            : `${name}=${value}`,
      )
      .join('; '),
  );

test('property: any cookies and x-thread-id: 200, a fresh session, and a thread continued only from a token issued here', async () => {
  await fc.assert(
    fc.asyncProperty(fc.option(threadToken), cookieHeader, async (header, cookie) => {
      const headers: Record<string, string> = { cookie };
      if (header !== null) headers['x-thread-id'] = header;
      const answer = await call(headers);
      assert.equal(answer.status, 200);
      const onWire = idsIn(header ?? '', cookie);
      assert.ok(!onWire.has(answer.sessionId), 'the session ID is not from the wire');
      if (onWire.has(answer.threadId)) {
        // Continued only through a token this service signed: one it issued, or one it signed
        // for a thread that was never written (a young token keeps its thread without a record).
        const sent = `${header ?? ''} ${decodeLoosely(cookie)}`;
        const tokens = sent.match(/thrd_[A-Za-z0-9_-]{24}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}/g) ?? [];
        assert.ok(
          tokens.some((token) => codec.verify(token)?.threadId === answer.threadId),
          'a thread from the wire came with a token this service signed',
        );
      }
      // Headers trim HTTP whitespace (space, tab) only: a no-break space makes another token.
      const given = header?.replace(/^[ \t]+|[ \t]+$/g, '');
      const exact = issued.find((thread) => thread.token === given);
      if (exact) assert.equal(answer.threadId, exact.threadId, 'an issued token in x-thread-id continues its thread');
    }),
    RUNS,
  );
});
