import { propagation, type Baggage, type Context } from '@opentelemetry/api';
import { isSessionId, isThreadId } from '../session/ids.js';
import { BAGGAGE_SESSION_ID, BAGGAGE_THREAD_ID } from '../session/semconv.js';

/** The IDs a request claimed in baggage, each as recorded: the ID when well formed, else `malformed`. */
export interface BaggageClaims {
  sessionId?: string;
  threadId?: string;
}

/**
 * `inbound` without the baggage an untrusted caller sent, except the entries named in
 * `keep`: what the request's own outbound calls propagate is then only what this service
 * adds (its session and thread). The trace context is kept. Allocates nothing when the
 * request carried no baggage. @internal
 */
export function withoutInboundBaggage(inbound: Context, keep: ReadonlySet<string>): Context {
  const baggage = propagation.getBaggage(inbound);
  if (baggage === undefined) return inbound;
  if (keep.size === 0) return propagation.deleteBaggage(inbound);
  const kept = keptEntries(baggage, keep);
  return kept === undefined ? propagation.deleteBaggage(inbound) : propagation.setBaggage(inbound, kept);
}

function keptEntries(baggage: Baggage, keep: ReadonlySet<string>): Baggage | undefined {
  let kept: Baggage | undefined;
  for (const [key, entry] of baggage.getAllEntries()) {
    // Our own keys are never kept from the wire: the session sets them.
    if (!keep.has(key) || key === BAGGAGE_SESSION_ID || key === BAGGAGE_THREAD_ID) continue;
    kept = (kept ?? propagation.createBaggage()).setEntry(key, entry);
  }
  return kept;
}

/**
 * The session and thread IDs a request claimed, from the extracted baggage and, for what
 * the propagator dropped (entries past the 180th, past 8,192 bytes, over 4,096 bytes, or a
 * propagator that reads no baggage at all), from the raw `baggage` header. `undefined`
 * when it claimed neither. @internal
 */
export function claimedIds(baggageHeader: string | undefined, inbound: Context): BaggageClaims | undefined {
  const baggage = propagation.getBaggage(inbound);
  let sessionId = recorded(baggage?.getEntry(BAGGAGE_SESSION_ID)?.value, isSessionId);
  let threadId = recorded(baggage?.getEntry(BAGGAGE_THREAD_ID)?.value, isThreadId);
  if (sessionId === undefined || threadId === undefined) {
    if (baggageHeader !== undefined) {
      const raw = claimsInBaggageHeader(baggageHeader);
      sessionId ??= raw?.sessionId;
      threadId ??= raw?.threadId;
    }
  }
  return sessionId === undefined && threadId === undefined ? undefined : { sessionId, threadId };
}

/**
 * The first `session.id` and `session.thread_id` entries of a raw `baggage` header,
 * parsed as the W3C propagator parses an entry (trimmed, percent-decoded) but with no
 * limit on entries or size: a claim is a claim wherever it stands. Linear in the header's
 * length; a header that mentions neither key (nor any percent-encoding) is not split. @internal
 */
export function claimsInBaggageHeader(header: string): BaggageClaims | undefined {
  if (!header.includes('session') && !header.includes('%')) return undefined;
  let sessionId: string | undefined;
  let threadId: string | undefined;
  let start = 0;
  while (start <= header.length && (sessionId === undefined || threadId === undefined)) {
    const comma = header.indexOf(',', start);
    const end = comma === -1 ? header.length : comma;
    const entry = parseEntry(header, start, end);
    if (entry !== undefined) {
      if (entry.key === BAGGAGE_SESSION_ID) sessionId ??= recorded(entry.value, isSessionId);
      else if (entry.key === BAGGAGE_THREAD_ID) threadId ??= recorded(entry.value, isThreadId);
    }
    start = end + 1;
  }
  return sessionId === undefined && threadId === undefined ? undefined : { sessionId, threadId };
}

function parseEntry(header: string, start: number, end: number): { key: string; value: string } | undefined {
  // Searched within the entry only: a search running on to the header's end would make a long header quadratic.
  const entry = header.slice(start, end);
  const semicolon = entry.indexOf(';');
  const pair = semicolon === -1 ? entry : entry.slice(0, semicolon);
  const equals = pair.indexOf('=');
  if (equals === -1) return undefined;
  const key = decoded(pair.slice(0, equals).trim());
  if (key !== BAGGAGE_SESSION_ID && key !== BAGGAGE_THREAD_ID) return undefined;
  return { key, value: decoded(pair.slice(equals + 1).trim()) ?? '' };
}

function decoded(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** A claimed value as recorded: the ID when well formed, `malformed` for anything else given. */
function recorded(value: string | undefined, isId: (value: unknown) => value is string): string | undefined {
  if (value === undefined) return undefined;
  return isId(value) ? value : 'malformed';
}
