import { context, diag, propagation, SpanKind, type Context } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { guard } from '../internal/guard.js';
import { processPart } from '../internal/process-state.js';
import { bindListeners } from './bind-listeners.js';
import type { InboundRequest } from './edge-options.js';
import type { EdgeTurn, HeaderSink, SessionEdge } from './session-edge.js';

type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;

// Marks the server prototypes whose emit is patched (once per process, whichever build does it).
const PATCHED = Symbol.for('otel-sessions.http-edge.patched');

/** The HTTP edge's part of the process's state, shared by the ESM and CommonJS builds. */
interface HttpEdgePart {
  /** The edge in force, read by the patched emit at each request; `undefined`: off. */
  edge: SessionEdge | undefined;
  /** Requests are refused: the process is shutting down. */
  stopped: boolean;
  /** The servers whose requests the edge has seen, to close at a shutdown. */
  servers: Set<http.Server>;
}

function httpEdgePart(): HttpEdgePart {
  return processPart<HttpEdgePart>('http-edge', () => ({ edge: undefined, stopped: false, servers: new Set() }));
}

/**
 * Makes every request of a node:http or node:https server a session before any framework
 * code runs (Express, Fastify, Koa, Hono on node-server, plain handlers alike): the server's
 * `request` event is emitted inside the session's context. Install it before the
 * OpenTelemetry SDK starts, so that the http instrumentation's server span wraps it and
 * becomes the session's root span. Passing `undefined` turns the edge off. @internal
 */
export function installHttpEdge(edge: SessionEdge | undefined): void {
  const part = httpEdgePart();
  part.edge = edge;
  if (edge === undefined) return;
  for (const server of [http.Server, https.Server]) {
    const prototype = server.prototype as unknown as Record<PropertyKey, unknown> & { emit: Emit };
    if (prototype[PATCHED] === true) continue;
    const below = prototype.emit;
    if ((below as { __wrapped?: boolean }).__wrapped === true) {
      diag.warn(
        'otel-sessions: the http instrumentation was enabled before sessions were configured, so request handlers may run outside their session; call sessionsConfiguration() before sdk.start()',
      );
    }
    prototype.emit = function emitWithSession(this: http.Server, event, ...args) {
      const current = part.edge;
      if (event !== 'request' || current === undefined) return below.call(this, event, ...args);
      const [request, response] = args as [IncomingMessage, ServerResponse];
      if (part.stopped) return refuse(this, response);
      const { servers } = part;
      if (!servers.has(this)) {
        servers.add(this);
        this.once('close', () => servers.delete(this));
      }
      if (current.ignores(pathOf(request.url))) return below.call(this, event, ...args);
      try {
        serve(current, request, response, () => below.call(this, event, request, response));
      } catch (error) {
        // The edge could not start (no signing secret in production): served without a session.
        reportUnservedOnce(error);
        return below.call(this, event, ...args);
      }
      return this.listenerCount(event) > 0;
    };
    prototype[PATCHED] = true;
  }
}

/**
 * Stops taking requests, as a server does when it shuts down: each server the edge has served
 * closes its idle connections, and a request that still arrives is answered 503 with
 * `Connection: close`, outside any session, so that nothing is answered after the telemetry's
 * last flush. The listening sockets stay as they are: closing them is the app's to do (its own
 * `server.close(callback)` would be told the server was not running). @internal
 */
export function stopTakingRequests(): void {
  const part = httpEdgePart();
  part.stopped = true;
  for (const server of part.servers) guard('closing idle connections', () => server.closeIdleConnections(), undefined);
}

function refuse(server: http.Server, response: ServerResponse): boolean {
  guard(
    'refusing a request at shutdown',
    () => {
      response.writeHead(503, {
        connection: 'close',
        'retry-after': '1',
        'content-type': 'text/plain; charset=utf-8',
      });
      response.end('The service is shutting down; try again.\n');
      server.closeIdleConnections();
    },
    undefined,
  );
  return true;
}

let reportedUnserved = false;
function reportUnservedOnce(error: unknown): void {
  if (reportedUnserved) return;
  reportedUnserved = true;
  const message = (error instanceof Error ? error.message : String(error)).replace(/^otel-sessions: /, '');
  diag.error(`otel-sessions: requests are served without sessions: ${message}`);
}

/** The edge in force, if any. @internal */
export function currentHttpEdge(): SessionEdge | undefined {
  return httpEdgePart().edge;
}

/**
 * Runs one request as a session: the handler (`emit`) is called inside it once the thread is
 * open, the response's headers gain the session's when they are written, and the response's
 * end waits for the thread to be saved, so that the next turn sees it.
 */
function serve(edge: SessionEdge, request: IncomingMessage, response: ServerResponse, emit: () => void): void {
  const method = request.method ?? 'GET';
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `response` as `this`
  const endBelow = response.end as (...args: unknown[]) => unknown;
  let threw: { error: unknown } | undefined;
  // The handler's calls to `end`, held until the session is closed and its thread saved.
  const ends: unknown[][] = [];
  let closed = false;

  const ran = edge.run({
    request: new NodeInboundRequest(request),
    header: (name) => headerValue(request, name),
    https: (request.socket as Partial<TLSSocket>).encrypted === true,
    extract: (parent) => propagation.extract(parent, request.headers),
    rootSpan: {
      name: method,
      options: {
        kind: SpanKind.SERVER,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: pathOf(request.url) },
      },
    },
    beforeClose: (rootSpan) => rootSpan.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode),
    failure: () => threw?.error,
    work: (_session, _rootSpan, turn) =>
      new Promise<void>((responded) => {
        const sessionContext = context.active();
        hookHeaders(response, turn);
        response.end = function endAfterSave(this: ServerResponse, ...args: unknown[]) {
          if (closed) return endBelow.apply(this, args);
          ends.push(args);
          responded();
          return this;
        } as ServerResponse['end'];
        // A client gone before the answer: the session closes all the same. The response
        // tells it without a `close` listener (see bindListeners), unless binding failed.
        const closedEarly = (): void => responded();
        const bound = guard(
          'binding request listeners to the session',
          () => bindRequest(request, response, sessionContext, closedEarly),
          false,
        );
        if (!bound) response.once('close', closedEarly);
        try {
          emit();
        } catch (error) {
          threw = { error };
          responded();
        }
      }),
  });
  const answer = (): void => {
    closed = true;
    for (const args of ends.splice(0)) endBelow.apply(response, args);
    // A handler that threw does so in the server's hands, as it would have without sessions.
    if (threw !== undefined) {
      const { error } = threw;
      process.nextTick(() => {
        throw error;
      });
    }
  };
  ran.then(answer, (error: unknown) => {
    diag.error('otel-sessions: a request session failed', error);
    answer();
  });
}

function bindRequest(request: IncomingMessage, response: ServerResponse, ctx: Context, onClose: () => void): true {
  bindListeners(request, ctx);
  bindListeners(response, ctx, onClose);
  return true;
}

/**
 * Adds the session's headers when the response's headers are written, whoever writes them
 * (`writeHead` with its own headers, or implicitly at the first write): they are decided then,
 * so a thread destroyed by the handler is replaced in them.
 */
function hookHeaders(response: ServerResponse, turn: EdgeTurn): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the response as `this`
  const writeHeadBelow = response.writeHead;
  response.writeHead = function writeHeadWithSession(this: ServerResponse, ...args: unknown[]) {
    const headersAt = typeof args[1] === 'object' && args[1] !== null ? 1 : typeof args[2] === 'object' ? 2 : -1;
    const given = headersAt === -1 ? undefined : args[headersAt];
    const sink = new ResponseHeaders(this, given);
    guard('writing session headers', () => turn.writeHeaders(sink), undefined);
    if (sink.headers !== given && headersAt !== -1) args[headersAt] = sink.headers;
    return (writeHeadBelow as (...a: unknown[]) => ServerResponse).apply(this, args);
  };
}

/**
 * A response's headers while `writeHead` runs: those set with `setHeader`, and those given to
 * `writeHead`, which win over them. A cookie goes beside the app's own cookies in either.
 * When `writeHead` was given its headers as an object (as @hono/node-server does), the
 * session's go into a copy of that object: a `setHeader` call here would make Node merge every
 * given header through `setHeader` too, its slow path.
 */
class ResponseHeaders implements HeaderSink {
  /** The copy of the given object that takes the session's headers, once one is set. */
  private copy: OutgoingHttpHeaders | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly given: unknown,
  ) {}

  /** What `writeHead` is to be given: the given headers, or the copy with the session's. */
  get headers(): unknown {
    return this.copy ?? this.given;
  }

  set(name: string, value: string): void {
    if (this.givenKey(name) !== undefined) return;
    const headers = this.writable();
    if (headers !== undefined) headers[name] = value;
    else this.response.setHeader(name, value);
  }

  has(name: string): boolean {
    return this.response.hasHeader(name) || this.givenKey(name) !== undefined;
  }

  setCookie(cookieName: string, line: string): void {
    const headers = this.writable();
    if (headers !== undefined) {
      const key = this.givenKey('set-cookie');
      // Set with setHeader or given: the app's other cookies stay (given ones win in Node).
      const app = key !== undefined ? headers[key] : this.response.getHeader('set-cookie');
      headers[key ?? 'set-cookie'] = [...others(app, cookieName), line];
      return;
    }
    // Headers given as an array that name Set-Cookie replace this one (rare: no framework does).
    this.response.setHeader('set-cookie', [...others(this.response.getHeader('set-cookie'), cookieName), line]);
  }

  /** The copy of the headers given as an object, made at the first write; `undefined` when none were given so. */
  private writable(): OutgoingHttpHeaders | undefined {
    if (this.copy !== undefined) return this.copy;
    const given = headerObject(this.given);
    return given === undefined ? undefined : (this.copy = { ...given });
  }

  /** The name under which `writeHead` was given header `name` (any case), if it was. */
  private givenKey(name: string): string | undefined {
    const given = headerObject(this.given);
    if (given === undefined) return undefined;
    const lower = name.toLowerCase();
    for (const key of Object.keys(given)) if (key.length === lower.length && key.toLowerCase() === lower) return key;
    return undefined;
  }
}

/** Headers given to `writeHead` as an object, or `undefined` when they were not (none, or an array). */
function headerObject(given: unknown): OutgoingHttpHeaders | undefined {
  return typeof given === 'object' && given !== null && !Array.isArray(given)
    ? (given as OutgoingHttpHeaders)
    : undefined;
}

/** Cookies of a `Set-Cookie` value other than `name`'s. */
function others(value: unknown, name: string): string[] {
  const lines =
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.map((line) => `${line as string}`) : [];
  return lines.filter((line) => !line.startsWith(`${name}=`));
}

/** The path of a request URL, without its query. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** One request header's value, several joined with `, ` (Set-Cookie aside, which a request has not). */
function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A node:http request as `trustInbound` sees it (the shape of a Fetch `Request` it reads). */
class NodeInboundRequest implements InboundRequest {
  readonly headers: { get(name: string): string | null };
  constructor(private readonly request: IncomingMessage) {
    this.headers = { get: (name) => headerValue(request, name.toLowerCase()) ?? null };
  }
  get method(): string {
    return this.request.method ?? 'GET';
  }
  get url(): string {
    return this.request.url ?? '/';
  }
}
