import {
  context,
  diag,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { guard } from '../internal/guard.js';
import { withSuppressed } from '../internal/rate-limited-warning.js';
import { isSessionId, isThreadId } from '../session/ids.js';
import {
  ATTR_SESSION_REJECTED_ID,
  ATTR_SESSION_REJECTED_THREAD_ID,
  BAGGAGE_SESSION_ID,
  BAGGAGE_THREAD_ID,
} from '../session/semconv.js';
import { runSession } from '../session/session-runner.js';
import type { Session } from '../session/session.js';
import type { SessionsRuntime } from '../session/sessions-runtime.js';
import { threadTtlOf } from '../thread/thread-store.js';
import { cookieValue } from './cookie-value.js';
import type { EdgeOptions, InboundRequest } from './edge-options.js';
import { claimedIds, withoutInboundBaggage } from './inbound-baggage.js';
import { ThreadTokenCodec, type NewThread } from './thread-token.js';

/** One request at the edge, as a server or framework adapter describes it. @internal */
export interface EdgeRequest<T> {
  /** The request, for `trustInbound`. */
  readonly request: InboundRequest;
  /** One request header's value (several joined with `, `), or `undefined`. */
  header(name: string): string | undefined;
  /** Whether the request itself arrived over TLS. */
  readonly https: boolean;
  /** The trace context and baggage the request carries, extracted onto `parent`. */
  extract(parent: Context): Context;
  /** The root span to start when no server span covers the request yet. */
  readonly rootSpan: { name: string; options: SpanOptions };
  /** The work: the handler, run inside the session. */
  work(session: Session, rootSpan: Span, turn: EdgeTurn): Promise<T>;
  /** A failure the work reported without throwing: recorded, not thrown. */
  failure?(): unknown;
  /** Last words on the root span before the session closes. */
  beforeClose?(rootSpan: Span): void;
}

/** Where the edge writes a response's session headers. @internal */
export interface HeaderSink {
  set(name: string, value: string): void;
  /** Whether the response already has this header (set by the app). */
  has(name: string): boolean;
  /** Sets the thread cookie: `line` is a whole `Set-Cookie` value, replacing any earlier one of `name`. */
  setCookie(name: string, line: string): void;
}

/** What a response carrying a thread token (cookie or header) tells caches, unless the app says otherwise. */
export const TOKEN_CACHE_CONTROL = 'private, no-store';

/**
 * Where a request becomes a session: reads the signed thread token (cookie or header) and
 * the caller's baggage under the trust rules, runs the request as a session through the
 * session runner, and decides the headers its response carries. One edge serves every
 * server and framework: the node:http adapter and Hono's `sessions()` only describe a
 * request to it. @internal
 */
export class SessionEdge {
  readonly cookieName: string;
  readonly threadHeader: string;
  readonly sessionHeader: string;
  private readonly options: EdgeOptions;
  private readonly keep: ReadonlySet<string>;
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: readonly string[];
  private codec: ThreadTokenCodec | undefined;

  constructor(
    options: EdgeOptions,
    private readonly runtime: () => SessionsRuntime,
  ) {
    this.options = options;
    this.cookieName = options.cookieName ?? 'otel_sessions_thread';
    this.threadHeader = (options.threadHeader ?? 'x-thread-id').toLowerCase();
    this.sessionHeader = options.sessionHeader ?? 'x-session-id';
    if (!COOKIE_NAME.test(this.cookieName))
      throw new TypeError(
        `otel-sessions: cookieName must be a cookie name token, got ${JSON.stringify(this.cookieName)}`,
      );
    this.keep = new Set(options.keepInboundBaggage ?? []);
    const ignore = options.ignorePaths ?? [];
    this.exact = new Set(ignore.filter((entry) => !entry.endsWith('*')));
    this.prefixes = ignore.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1));
  }

  /** The options this edge was made with (for adapters that compare them). */
  get given(): EdgeOptions {
    return this.options;
  }

  /**
   * Settles the signing secret now rather than at the first request.
   * @throws {Error} in production when no secret is configured.
   */
  settleSecret(): void {
    this.tokens();
  }

  /** Whether `path` (without its query) is left out of sessions by `ignorePaths`. */
  ignores(path: string): boolean {
    if (this.exact.size === 0 && this.prefixes.length === 0) return false;
    return this.exact.has(path) || this.prefixes.some((prefix) => path.startsWith(prefix));
  }

  /** Runs one request as a session: resolves with the work's result once the session's response part is done. */
  run<T>(edgeRequest: EdgeRequest<T>): Promise<T> {
    const runtime = this.runtime();
    const codec = this.tokens();
    const inbound = guard('reading trace context and baggage', () => inboundContext(edgeRequest), ROOT_CONTEXT);
    const callerTrusted = this.callerIsTrusted(runtime, edgeRequest.request);
    const trusted = callerTrusted ? trustedIds(inbound) : undefined;
    // An untrusted caller's baggage stops here; failing that, so does the whole inbound context.
    const parentContext = callerTrusted
      ? inbound
      : guard('dropping untrusted baggage', () => withoutInboundBaggage(inbound, this.keep), ROOT_CONTEXT);
    const headerToken = edgeRequest.header(this.threadHeader);
    const token = headerToken ?? cookieValue(edgeRequest.header('cookie'), this.cookieName);
    const verified = token === undefined ? undefined : codec.verify(token);
    const candidate = verified?.threadId;
    const tokenAge = verified === undefined ? Infinity : codec.ageOf(verified);
    // The store's own TTL: the cookie and the token live as long as the thread can.
    const ttlMs = threadTtlOf(this.options.threadStore ?? runtime.threadStore);
    // A new thread comes with its token, signed now or ahead (see ThreadTokenCodec.newThread).
    let started: NewThread | undefined;

    return runSession({
      runtime,
      store: this.options.threadStore,
      parentContext,
      threadId: candidate,
      // A token younger than the TTL: its thread cannot have expired, so its ID is kept even
      // when nothing was ever stored for it (a conversation that writes no state).
      keepThreadId: tokenAge < ttlMs,
      trusted,
      newThreadId: () => (started = codec.newThread()).threadId,
      maxThreadBytes: this.options.maxThreadBytes,
      refuseSensitiveMetadata: this.options.refuseSensitiveMetadata ?? true,
      // The http instrumentation's server span, when there is one, is the session's root span.
      adoptSpan: trace.getSpan(inbound),
      rootSpan: edgeRequest.rootSpan,
      failure: edgeRequest.failure && (() => edgeRequest.failure?.()),
      beforeClose: edgeRequest.beforeClose && ((rootSpan) => edgeRequest.beforeClose?.(rootSpan)),
      work: (session, rootSpan) => {
        guard(
          'tagging the root span',
          () => {
            if (token !== undefined && candidate === undefined) this.warnMalformedToken(runtime, session.id);
            if (trusted === undefined) this.recordRejectedClaims(runtime, edgeRequest, inbound, rootSpan, session.id);
          },
          undefined,
        );
        // A verified token is reused as it is while it is young (one HMAC per request, not
        // two); past a small part of the TTL it is signed again, so that a live conversation's
        // token never ages past the TTL.
        const reused = candidate === session.thread.id && token !== undefined && tokenAge < resignAfterMs(ttlMs);
        const turn = new EdgeTurn(this, codec, session, {
          token: reused ? token : undefined,
          newThreadToken: started?.threadId === session.thread.id ? started.token : undefined,
          headerToken: headerToken !== undefined,
          secure: this.isSecure(edgeRequest),
          maxAgeSeconds: Math.ceil(ttlMs / 1000),
        });
        return edgeRequest.work(session, rootSpan, turn);
      },
    });
  }

  private tokens(): ThreadTokenCodec {
    return (this.codec ??= new ThreadTokenCodec(this.options.secret ?? this.runtime().signingSecret(), () =>
      this.runtime().clock(),
    ));
  }

  private isSecure(edgeRequest: EdgeRequest<unknown>): boolean {
    if (edgeRequest.https) return true;
    if (this.options.trustProxy !== true) return false;
    const forwarded = edgeRequest.header('x-forwarded-proto');
    if (forwarded === undefined) return false;
    const comma = forwarded.indexOf(',');
    return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim().toLowerCase() === 'https';
  }

  /** What `trustInbound` says of the request; a predicate that throws trusts no one (reported, rate-limited). */
  private callerIsTrusted(runtime: SessionsRuntime, request: InboundRequest): boolean {
    const { trustInbound } = this.options;
    if (trustInbound === undefined) return false;
    try {
      return trustInbound(request) === true;
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

  private warnMalformedToken(runtime: SessionsRuntime, sessionId: string): void {
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
  private recordRejectedClaims(
    runtime: SessionsRuntime,
    edgeRequest: EdgeRequest<unknown>,
    inbound: Context,
    rootSpan: Span,
    sessionId: string,
  ): void {
    const claims = claimedIds(edgeRequest.header('baggage'), inbound);
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
}

/**
 * One session's response at the edge: which token it gives, in the header and the cookie.
 * A new or newly signed token goes in both; the client's own token goes back in the header to
 * a client that sent it there, and a cookie holding it is not set again. A thread destroyed
 * during the session is replaced by a new one in what the response gives. @internal
 */
export class EdgeTurn {
  private token: string | undefined;
  private givesToken: boolean;
  private setsCookie: boolean;
  private replacedDestroyed = false;

  constructor(
    private readonly edge: SessionEdge,
    private readonly codec: ThreadTokenCodec,
    readonly session: Session,
    private readonly given: {
      /** The client's own token, verified and young enough to give back as it is. */
      token?: string;
      /** The token of the thread this session started, signed already. */
      newThreadToken?: string;
      headerToken: boolean;
      secure: boolean;
      maxAgeSeconds: number;
    },
  ) {
    this.token = given.token ?? given.newThreadToken;
    this.givesToken = given.token === undefined || given.headerToken;
    this.setsCookie = given.token === undefined;
  }

  /**
   * Writes the session and thread headers: `x-session-id` always; the token, with
   * `Cache-Control: private, no-store` unless the response has its own, when it gives one.
   */
  writeHeaders(sink: HeaderSink): void {
    const { edge } = this;
    sink.set(edge.sessionHeader, this.session.id);
    if (this.session.thread.destroyed && !this.replacedDestroyed) {
      // The next turn gets a new thread: the destroyed one must not come back through this token.
      this.replacedDestroyed = true;
      this.token = this.codec.newThread().token;
      this.givesToken = this.setsCookie = true;
    }
    if (!this.givesToken) return;
    this.token ??= this.codec.sign(this.session.thread.id);
    sink.set(edge.threadHeader, this.token);
    if (!sink.has('cache-control')) sink.set('Cache-Control', TOKEN_CACHE_CONTROL);
    if (this.setsCookie) sink.setCookie(edge.cookieName, this.cookieLine(this.token));
  }

  /** Whether the response's thread cookie changes (a new, newly signed or replaced token). */
  get setsThreadCookie(): boolean {
    return this.setsCookie || (this.session.thread.destroyed && !this.replacedDestroyed);
  }

  /** The `Set-Cookie` value carrying `token`: HttpOnly, SameSite=Lax, as long-lived as a thread can be. */
  private cookieLine(token: string): string {
    const secure = this.given.secure ? '; Secure' : '';
    return `${this.edge.cookieName}=${token}; Max-Age=${this.given.maxAgeSeconds}; Path=/; HttpOnly${secure}; SameSite=Lax`;
  }
}

/** A cookie name: an RFC 6265 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** How old a token may get before a response signs it again: a sixtieth of the TTL, at most 60 s. */
function resignAfterMs(threadTtlMs: number): number {
  return Math.min(60_000, threadTtlMs / 60);
}

/** The request's context: the active one (the http instrumentation already extracted it), else extracted here. */
function inboundContext(edgeRequest: EdgeRequest<unknown>): Context {
  const active = context.active();
  if (trace.getSpan(active) !== undefined || propagation.getBaggage(active) !== undefined) return active;
  return edgeRequest.extract(active);
}

/** The session and thread a trusted caller sent in baggage, if both are well formed. */
function trustedIds(inbound: Context): { sessionId: string; threadId: string } | undefined {
  const baggage = propagation.getBaggage(inbound);
  const sessionId = baggage?.getEntry(BAGGAGE_SESSION_ID)?.value;
  const threadId = baggage?.getEntry(BAGGAGE_THREAD_ID)?.value;
  return isSessionId(sessionId) && isThreadId(threadId) ? { sessionId, threadId } : undefined;
}
