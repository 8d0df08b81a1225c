import { propagation, SpanKind, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { EdgeOptions } from '../edge/edge-options.js';
import { currentHttpEdge } from '../edge/node-http-edge.js';
import { SessionEdge, type EdgeTurn, type HeaderSink } from '../edge/session-edge.js';
import { asError } from '../internal/as-error.js';
import { guard } from '../internal/guard.js';
import { currentRuntime } from '../session/sessions-runtime.js';
import { getSessionScope } from '../session/context.js';
import { recordFailure } from '../session/session-runner.js';
import { Session } from '../session/session.js';
import type { SessionsEnv } from './env.js';

/** Options of {@link sessions}. */
export interface SessionsOptions extends EdgeOptions {
  /** Answer a failed request with `{ success: false, error: 'Internal error', sessionId }`. @default true */
  errorResponse?: boolean;
}

/** The options that decide a session; where the HTTP edge already made it, they come from its configuration. */
const EDGE_OPTION_KEYS: ReadonlyArray<keyof EdgeOptions> = [
  'threadStore',
  'secret',
  'cookieName',
  'threadHeader',
  'sessionHeader',
  'trustInbound',
  'keepInboundBaggage',
  'trustProxy',
  'refuseSensitiveMetadata',
  'maxThreadBytes',
  'ignorePaths',
];

/**
 * Hono middleware that exposes the request's session: `c.var.sessionId`, `c.var.threadId`,
 * `c.var.logger`, `c.var.session` and `c.var.thread`, and answers a failed request with
 * `{ success: false, error: 'Internal error', sessionId }`.
 *
 * On node:http (`@hono/node-server`) the session was made by the HTTP edge that
 * `registerSessions` (or `sessionsConfiguration`) installs, which sets the response headers
 * and saves the thread; its options are the edge's. Where no edge made one (`app.request()`,
 * Bun, Deno, workers), this middleware makes it, by the same rules: a server span, the
 * response's `x-session-id`, and the thread carried by a signed cookie or `x-thread-id`
 * header until the thread TTL (one hour unless set) after its last activity.
 *
 * @example
 * const app = new Hono<SessionsEnv>();
 * app.use(sessions());
 */
export function sessions({
  errorResponse = true,
  ...edgeOptions
}: SessionsOptions = {}): MiddlewareHandler<SessionsEnv> {
  // The HTTP edge's configuration (ignored paths, trust, names) is the default here too.
  const httpEdge = currentHttpEdge()?.given;
  const edge = new SessionEdge({ ...httpEdge, ...edgeOptions }, currentRuntime);
  // Settled now: without a secret in production, the app fails at its start, not at a request.
  edge.settleSecret();
  // Options that would decide differently from the edge that makes the sessions on node:http.
  const givenEdgeOptions = EDGE_OPTION_KEYS.filter(
    (key) => edgeOptions[key] !== undefined && edgeOptions[key] !== httpEdge?.[key],
  );
  let warnedAboutOptions = false;
  let warnedAboutStore = false;

  return async function sessionsMiddleware(c, next) {
    const runtime = currentRuntime();
    const owner = getSessionScope()?.owner;
    if (owner instanceof Session) {
      // The HTTP edge (or a session around `app.request()`) made this request's session.
      if (givenEdgeOptions.length > 0 && !warnedAboutOptions) {
        warnedAboutOptions = true;
        runtime.logger.warn(
          `sessions({ ${givenEdgeOptions.join(', ')} }) does not apply: the HTTP edge made the request's session before Hono ran; give these options to registerSessions({ edge }) or sessionsConfiguration({ edge })`,
        );
      }
      const rootSpan = trace.getActiveSpan();
      expose(c, owner);
      await runHandler(c, next, owner, errorResponse);
      if (c.error) recordFailure(rootSpan, c.error);
      if (rootSpan?.isRecording()) guard('naming the root span', () => nameByRoute(c, rootSpan), undefined);
      return;
    }

    const { threadStore } = edgeOptions;
    if (threadStore !== undefined && runtime.configured && threadStore !== runtime.threadStore && !warnedAboutStore) {
      warnedAboutStore = true;
      runtime.logger.warn(
        'sessions({ threadStore }) is not the store registerSessions configured: span activity keeps threads alive only in that one; give the store to registerSessions({ threadStore }) instead',
      );
    }
    if (edge.ignores(c.req.path)) {
      await next();
      return;
    }
    const request = c.req.raw;
    await edge.run({
      request,
      header: (name) => c.req.header(name),
      https: request.url.startsWith('https:'),
      extract: (parent) =>
        propagation.extract(parent, request.headers, {
          get: (headers, key) => headers.get(key) ?? undefined,
          keys: (headers) => [...headers.keys()],
        }),
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
        nameByRoute(c, rootSpan);
      },
      work: async (session, _rootSpan, turn) => {
        expose(c, session);
        // Before the handler: headers set after it make Hono rebuild the response, a slow path.
        guard('writing session headers', () => turn.writeHeaders(new PendingHeaders(c)), undefined);
        await runHandler(c, next, session, errorResponse);
        // A destroyed thread is replaced, and a handler that returned its own Response dropped
        // what was set on `c`: write the headers again, onto the response itself.
        if (guard('reading response headers', () => needsRewrite(c, session, turn, edge), false)) {
          guard('writing session headers', () => turn.writeHeaders(new ResponseHeaders(c.res.headers)), undefined);
        }
      },
    });
  };
}

function expose(c: Context<SessionsEnv>, session: Session): void {
  c.set('sessionId', session.id);
  c.set('threadId', session.thread.id);
  c.set('session', session);
  c.set('thread', session.thread);
  c.set('logger', currentRuntime().logger);
}

/** Runs the rest of the chain; a failure is logged and, unless turned off, answered with the session ID. */
async function runHandler(
  c: Context<SessionsEnv>,
  next: () => Promise<void>,
  session: Session,
  errorResponse: boolean,
): Promise<void> {
  try {
    await next();
  } catch (error) {
    // Hono turns a handler's error into `c.error`; this catches what escapes other middleware.
    c.error = asError(error);
  }
  if (!c.error) return;
  currentRuntime().logger.error('Request failed', { error: c.error.message, 'session.id': session.id });
  if (errorResponse) c.res = c.json({ success: false, error: 'Internal error', sessionId: session.id }, 500);
}

/** The route, known only after the handler: `POST /chat` names the span better than `POST`. */
function nameByRoute(c: Context<SessionsEnv>, rootSpan: Span): void {
  const route = matchedRoutes(c).at(-1)?.path;
  if (route === undefined || route === '/*' || route === '*') return;
  rootSpan.setAttribute(ATTR_HTTP_ROUTE, route);
  rootSpan.updateName(`${c.req.method} ${route}`);
}

function needsRewrite(c: Context<SessionsEnv>, session: Session, turn: EdgeTurn, edge: SessionEdge): boolean {
  if (session.thread.destroyed) return true;
  const headers = c.res.headers;
  if (headers.get(edge.sessionHeader) !== session.id) return true;
  return turn.setsThreadCookie && !headers.getSetCookie().some((line) => line.startsWith(`${edge.cookieName}=`));
}

/**
 * Headers set on `c` before the handler runs: the handler's own replace them (its
 * Cache-Control wins), and they go into whatever response it returns through `c`.
 */
class PendingHeaders implements HeaderSink {
  constructor(private readonly c: Context<SessionsEnv>) {}
  set(name: string, value: string): void {
    this.c.header(name, value);
  }
  has(): boolean {
    return false;
  }
  setCookie(_name: string, line: string): void {
    this.c.header('set-cookie', line, { append: true });
  }
}

/** The headers of the response the handler returned; the app's Cache-Control is kept. */
class ResponseHeaders implements HeaderSink {
  constructor(private readonly headers: Headers) {}
  set(name: string, value: string): void {
    this.headers.set(name, value);
  }
  has(name: string): boolean {
    return this.headers.has(name);
  }
  setCookie(name: string, line: string): void {
    const others = this.headers.getSetCookie().filter((cookie) => !cookie.startsWith(`${name}=`));
    this.headers.delete('set-cookie');
    for (const cookie of others) this.headers.append('set-cookie', cookie);
    this.headers.append('set-cookie', line);
  }
}
