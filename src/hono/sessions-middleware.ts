import {
  context,
  diag,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context as OtelContext,
  type Span,
} from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { MiddlewareHandler } from 'hono';
import type { ServerResponse } from 'node:http';
import { setCookie } from 'hono/cookie';
import { matchedRoutes } from 'hono/route';
import { guard } from '../internal/guard.js';
import { withSuppressed } from '../internal/rate-limited-warning.js';
import { currentRuntime } from '../runtime/current-runtime.js';
import { isSessionId, isThreadId, newThreadId } from '../session/ids.js';
import {
  ATTR_SESSION_REJECTED_ID,
  ATTR_SESSION_REJECTED_THREAD_ID,
  BAGGAGE_SESSION_ID,
  BAGGAGE_THREAD_ID,
} from '../session/semconv.js';
import { runSession } from '../session/session-runner.js';
import type { SessionsRuntime } from '../runtime/sessions-runtime.js';
import type { ThreadStore } from '../thread/thread-store.js';
import type { Env } from './env.js';
import { cookieValue } from './cookie-value.js';
import { claimedIds, withoutInboundBaggage } from './inbound-baggage.js';
import { isHttpsRequest } from './request-scheme.js';
import { ThreadTokenCodec } from './thread-token.js';
import { asError } from '../internal/as-error.js';

/** Options of {@link sessions}. */
export interface SessionsOptions {
  /**
   * Where threads live. Prefer giving the store to `registerSessions` (or `sessionsConfiguration`):
   * span activity keeps threads alive in that store only, so a different one here is warned about once.
   * @default the store configured by `registerSessions` (in memory unless set)
   */
  threadStore?: ThreadStore;
  /**
   * Secret that signs thread cookies and headers (at least 32 characters; the same in every
   * process of the service). @default OTEL_SESSIONS_SECRET; else, outside production, a secret generated once
   * and kept in `<journal folder>/secret` (with a warning); in production, none: `sessions()` throws
   */
  secret?: string;
  /** Name of the thread cookie. @default 'otel_sessions_thread' */
  cookieName?: string;
  /** Name of the request and response header carrying the signed thread. @default 'x-thread-id' */
  threadHeader?: string;
  /**
   * Name of the response header carrying the session ID. On @hono/node-server it is set on
   * the Node response itself, so it is not in `c.res.headers`. @default 'x-session-id'
   */
  sessionHeader?: string;
  /**
   * Decides whether a request comes from a trusted internal caller whose `session.id` and
   * `session.thread_id` baggage this request continues, and whose other baggage travels on
   * with the request's outbound calls. Anyone else gets a session of its own, and its
   * baggage stops here (except the keys in `keepInboundBaggage`); an ID it claimed is
   * recorded as `session.rejected_id` / `session.rejected_thread_id` on the root span.
   * @default () => false (trust no one)
   */
  trustInbound?: (request: Request) => boolean;
  /**
   * Baggage keys that an untrusted caller may pass on to this service's outbound calls.
   * Everything else it sends in baggage is dropped; `session.id` and `session.thread_id`
   * are never taken from it.
   * @default [] (keep none)
   * @example
   * keepInboundBaggage: ['tenant.region']
   */
  keepInboundBaggage?: readonly string[];
  /**
   * Believe the proxy in front of the service about the scheme: when the first value of
   * `x-forwarded-proto` is `https`, the thread cookie is `Secure`. Set it only when every
   * request comes through a proxy that sets (or overwrites) that header.
   * @default false (only an https request URL makes the cookie `Secure`)
   */
  trustProxy?: boolean;
  /**
   * Refuse metadata entries that look like secrets or personal data (tokens, API keys,
   * high-entropy strings, credentials in URLs, e-mail addresses; keys as well as values),
   * with a warning that names the key and the reason. `false` records everything; a
   * function decides instead: it returns the reason to refuse, or `undefined` to record
   * (numbers and booleans are given as strings; a function that throws refuses).
   * @default true
   * @example
   * // The built-in check, except for one key whose values are known to be safe.
   * refuseSensitiveMetadata: (key, value) => (key === 'buildHash' ? undefined : sensitiveReason(key, value))
   */
  refuseSensitiveMetadata?: boolean | ((key: string, value: string) => string | undefined);
  /** Answer a failed request with `{ success: false, error: 'Internal error', sessionId }`. @default true */
  errorResponse?: boolean;
  /** Largest thread (state and metadata) in bytes, checked at each write. @default the `maxThreadBytes` of registerSessions, else 1048576 */
  maxThreadBytes?: number;
}

/**
 * Hono middleware that makes every request a session: `c.var.sessionId`, `c.var.logger`,
 * `c.var.session` and `c.var.thread` are set, a server span covers the request, the
 * response carries `x-session-id`, and the thread continues through a signed cookie or
 * `x-thread-id` header until the thread TTL (one hour unless set) after its last activity.
 * A new or newly signed token (about once a minute in a live conversation) is given in both;
 * otherwise a client that sent its token in the header gets it back there, and a cookie that
 * holds it is not set again. A response carrying a token is `Cache-Control: private, no-store`
 * unless the app sets its own.
 *
 * @example
 * const app = new Hono<Env>();
 * app.use(sessions());
 */
export function sessions({
  threadStore,
  secret,
  cookieName = 'otel_sessions_thread',
  threadHeader = 'x-thread-id',
  sessionHeader = 'x-session-id',
  trustInbound = () => false,
  keepInboundBaggage = [],
  trustProxy = false,
  refuseSensitiveMetadata = true,
  errorResponse = true,
  maxThreadBytes,
}: SessionsOptions = {}): MiddlewareHandler<Env> {
  const codec = new ThreadTokenCodec(secret ?? currentRuntime().signingSecret(), () => currentRuntime().clock());
  const keep: ReadonlySet<string> = new Set(keepInboundBaggage);

  let warnedAboutStore = false;

  return async function sessionsMiddleware(c, next) {
    const runtime = currentRuntime();
    const { logger } = runtime;
    if (threadStore !== undefined && runtime.configured && threadStore !== runtime.threadStore && !warnedAboutStore) {
      warnedAboutStore = true;
      logger.warn(
        'sessions({ threadStore }) is not the store registerSessions configured: span activity keeps threads alive only in that one; give the store to registerSessions({ threadStore }) instead',
      );
    }
    const request = c.req.raw;
    const inbound = guard('reading trace context and baggage', () => inboundContext(request), context.active());
    const callerTrusted = callerIsTrusted(runtime, trustInbound, request);
    const trusted = callerTrusted ? trustedIds(inbound) : undefined;
    // An untrusted caller's baggage stops here; failing that, so does the whole inbound context.
    const parentContext = callerTrusted
      ? inbound
      : guard('dropping untrusted baggage', () => withoutInboundBaggage(inbound, keep), ROOT_CONTEXT);
    const headerToken = c.req.header(threadHeader);
    const token = headerToken ?? cookieValue(c.req.header('cookie'), cookieName);
    const verified = token === undefined ? undefined : codec.verify(token);
    const candidate = verified?.threadId;
    const tokenAge = verified === undefined ? Infinity : codec.ageOf(verified);

    await runSession({
      runtime,
      store: threadStore,
      parentContext,
      threadId: candidate,
      // A token younger than the TTL: its thread cannot have expired, so its ID is kept even
      // when nothing was ever stored for it (a conversation that writes no state).
      keepThreadId: tokenAge < runtime.threadTtlMs,
      trusted,
      maxThreadBytes,
      refuseSensitiveMetadata,
      // The http instrumentation's server span, when there is one, is the session's root span.
      adoptSpan: trace.getSpan(inbound),
      rootSpan: {
        name: `${c.req.method} ${c.req.path}`,
        options: {
          kind: SpanKind.SERVER,
          attributes: { [ATTR_HTTP_REQUEST_METHOD]: c.req.method, [ATTR_URL_PATH]: c.req.path },
        },
      },
      failure: () => c.error,
      beforeClose: (rootSpan) => {
        rootSpan.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, c.res.status);
        // The route, known only now: `POST /chat` names the span better than `POST`.
        const route = matchedRoutes(c).at(-1)?.path;
        if (route !== undefined && route !== '/*' && route !== '*') {
          rootSpan.setAttribute(ATTR_HTTP_ROUTE, route);
          rootSpan.updateName(`${c.req.method} ${route}`);
        }
      },
      work: async (session, rootSpan) => {
        guard(
          'tagging the root span',
          () => {
            if (token !== undefined && candidate === undefined) warnMalformedToken(runtime, session.id);
            if (trusted === undefined) recordRejectedClaims(runtime, request, inbound, rootSpan, session.id);
          },
          undefined,
        );

        c.set('sessionId', session.id);
        c.set('threadId', session.thread.id);
        c.set('session', session);
        c.set('thread', session.thread);
        c.set('logger', logger);

        // A verified token is reused as it is while it is young (one HMAC per request, not
        // two); past a small part of the TTL it is signed again, so that a live conversation's
        // token never ages past the TTL.
        const reused =
          candidate === session.thread.id && token !== undefined && tokenAge < resignAfterMs(runtime.threadTtlMs);
        let signed = reused ? token : codec.sign(session.thread.id);
        // A new or newly signed token goes in the header and the cookie. The client's own token
        // goes back in the header to a client that sent it there; a cookie holding it is not set
        // again (it is renewed with each new signature, about once a minute in a live thread).
        let givesToken = !reused || headerToken !== undefined;
        let setsCookie = !reused;
        const secure = isHttpsRequest(request, trustProxy);
        const writeHeaders = (afterHandler: boolean): void =>
          guard(
            'writing session headers',
            () => {
              const node = nodeResponse(c.env);
              const put = (name: string, value: string): void => {
                if (node === undefined) c.header(name, value);
                else node.setHeader(name, value);
              };
              put(sessionHeader, session.id);
              if (!givesToken) return;
              put(threadHeader, signed);
              // A response carrying a thread token is for its client only. The handler's own
              // Cache-Control wins: set before it, this is replaced; after it, it is kept.
              if (!afterHandler || node !== undefined || !c.res.headers.has('cache-control'))
                put('Cache-Control', TOKEN_CACHE_CONTROL);
              if (!setsCookie) return;
              // On `c` even under node-server: a Set-Cookie there would replace the app's own.
              setCookie(c, cookieName, signed, {
                httpOnly: true,
                sameSite: 'Lax',
                secure,
                path: '/',
                // The cookie lives as long as the thread it carries can.
                maxAge: Math.ceil(runtime.threadTtlMs / 1000),
              });
            },
            undefined,
          );
        // Whether the response lacks what was set on `c`. Read only then: reading `c.res.headers`
        // of a node-server response builds a Headers object.
        const droppedHeaders = (): boolean =>
          nodeResponse(c.env) === undefined
            ? c.res.headers.get(sessionHeader) !== session.id
            : setsCookie && !c.res.headers.getSetCookie().some((line) => line.startsWith(`${cookieName}=`));
        // Before the handler: headers set after it make Hono rebuild the response, a slow path.
        writeHeaders(false);

        try {
          await next();
        } catch (error) {
          // Hono turns a handler's error into `c.error`; this catches what escapes other middleware.
          c.error = asError(error);
        }
        if (c.error) {
          logger.error('Request failed', { error: c.error.message, 'session.id': session.id });
          if (errorResponse) c.res = c.json({ success: false, error: 'Internal error', sessionId: session.id }, 500);
        }
        if (session.thread.destroyed) {
          // The next turn gets a new thread: the destroyed one must not come back through this token.
          signed = codec.sign(newThreadId());
          givesToken = setsCookie = true;
          guard('replacing the thread cookie', () => dropCookie(c.res.headers, cookieName), undefined);
          writeHeaders(true);
        } else if (guard('reading response headers', () => droppedHeaders(), false)) {
          // A handler that returned its own Response dropped what was set on `c`: write it again.
          writeHeaders(true);
        }
      },
    });
  };
}

/**
 * The Node response under @hono/node-server (its `HttpBindings`), while its headers are not
 * sent yet. A header set there costs far less than one set on `c`: a single `c.header()` makes
 * Hono build a Headers object and node-server leave its fast path for the response.
 */
function nodeResponse(env: unknown): Pick<ServerResponse, 'setHeader'> | undefined {
  const outgoing = (env as { outgoing?: Partial<ServerResponse> } | undefined)?.outgoing;
  return typeof outgoing?.setHeader === 'function' && outgoing.headersSent === false
    ? (outgoing as ServerResponse)
    : undefined;
}

/** How old a token may get before a response signs it again: a sixtieth of the TTL, at most 60 s. */
function resignAfterMs(threadTtlMs: number): number {
  return Math.min(60_000, threadTtlMs / 60);
}

/** Removes the `Set-Cookie` entries of `name` from `headers`, keeping every other cookie. */
function dropCookie(headers: Headers, name: string): void {
  const others = headers.getSetCookie().filter((line) => !line.startsWith(`${name}=`));
  headers.delete('set-cookie');
  for (const line of others) headers.append('set-cookie', line);
}

/** What a response carrying a thread token (cookie or header) tells caches, unless the app says otherwise. */
const TOKEN_CACHE_CONTROL = 'private, no-store';

/** What `trustInbound` says of the request; a predicate that throws trusts no one (reported, rate-limited). */
function callerIsTrusted(
  runtime: SessionsRuntime,
  trustInbound: (request: Request) => boolean,
  request: Request,
): boolean {
  try {
    return trustInbound(request);
  } catch (error) {
    runtime.warnings.warn('trustInbound threw', (suppressed) =>
      diag.error(
        `otel-sessions: trustInbound threw; the request was treated as untrusted${suppressed > 0 ? ` (and ${suppressed} more since the last report)` : ''}`,
        error,
      ),
    );
    return false;
  }
}

function warnMalformedToken(runtime: SessionsRuntime, sessionId: string): void {
  runtime.warnings.warn('malformed thread token', (suppressed) =>
    runtime.logger.warn(
      'A thread cookie or header was malformed or badly signed; a new thread was started',
      withSuppressed({ 'session.id': sessionId }, suppressed),
    ),
  );
}

/**
 * Records on the root span the IDs a request claimed in baggage and did not get
 * (`session.rejected_id`, `session.rejected_thread_id`), with a rate-limited warning.
 */
function recordRejectedClaims(
  runtime: SessionsRuntime,
  request: Request,
  inbound: OtelContext,
  rootSpan: Span,
  sessionId: string,
): void {
  const claims = claimedIds(request, inbound);
  if (claims === undefined) return;
  if (claims.sessionId !== undefined) rootSpan.setAttribute(ATTR_SESSION_REJECTED_ID, claims.sessionId);
  if (claims.threadId !== undefined) rootSpan.setAttribute(ATTR_SESSION_REJECTED_THREAD_ID, claims.threadId);
  runtime.warnings.warn('rejected baggage claim', (suppressed) =>
    runtime.logger.warn(
      'A request claimed a session or thread in baggage that was not taken (an untrusted caller, or not both IDs well formed); it got a session of its own',
      withSuppressed({ 'session.id': sessionId }, suppressed),
    ),
  );
}

/** The request's context: the active one (http instrumentation already extracted it), else extracted here. */
function inboundContext(request: Request): OtelContext {
  const active = context.active();
  if (trace.getSpan(active) !== undefined || propagation.getBaggage(active) !== undefined) return active;
  return propagation.extract(active, request.headers, {
    get: (headers, key) => headers.get(key) ?? undefined,
    keys: (headers) => [...headers.keys()],
  });
}

/** The session and thread a trusted caller sent in baggage, if both are well formed. */
function trustedIds(inbound: OtelContext): { sessionId: string; threadId: string } | undefined {
  const baggage = propagation.getBaggage(inbound);
  const sessionId = baggage?.getEntry(BAGGAGE_SESSION_ID)?.value;
  const threadId = baggage?.getEntry(BAGGAGE_THREAD_ID)?.value;
  return isSessionId(sessionId) && isThreadId(threadId) ? { sessionId, threadId } : undefined;
}
