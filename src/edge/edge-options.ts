import type { SensitiveMetadataCheck } from '../session/metadata-attributes.js';
import type { ThreadStore } from '../thread/thread-store.js';

/**
 * A request as the session edge and `trustInbound` see it. A Fetch `Request` is one; on
 * node:http (Express, Fastify, Koa, …) `url` is the path and query the client sent.
 */
export interface InboundRequest {
  /** The HTTP method (`GET`, `POST`, …). */
  readonly method: string;
  /** The request URL: absolute under the Fetch API, the path and query on node:http. */
  readonly url: string;
  /** The request headers; several values of one header are joined with `, `. */
  readonly headers: {
    /** The value of header `name` (case-insensitive), or `null` when the request has none. */
    get(name: string): string | null;
  };
}

/**
 * Where sessions start and how threads travel: options of the HTTP edge
 * (`registerSessions({ edge })`, `sessionsConfiguration({ edge })`) and of Hono's `sessions()`.
 */
export interface EdgeOptions {
  /**
   * Where threads live. Prefer giving the store to `registerSessions` (or `sessionsConfiguration`):
   * span activity keeps threads alive in that store only.
   * @default the store configured by `registerSessions` (SQLite in the journal folder unless set)
   */
  threadStore?: ThreadStore;
  /**
   * Secret that signs thread cookies and headers (at least 32 characters; the same in every
   * process of the service). @default OTEL_SESSIONS_SECRET; else, outside production, a secret generated once
   * and kept in `<journal folder>/secret` (with a warning); in production, none: the start fails
   */
  secret?: string;
  /** Name of the thread cookie. @default 'otel_sessions_thread' */
  cookieName?: string;
  /** Name of the request and response header carrying the signed thread. @default 'x-thread-id' */
  threadHeader?: string;
  /** Name of the response header carrying the session ID. @default 'x-session-id' */
  sessionHeader?: string;
  /**
   * Decides whether a request comes from a trusted internal caller whose `session.id` and
   * `session.thread_id` baggage this request continues, and whose other baggage travels on
   * with the request's outbound calls. Anyone else gets a session of its own, and its
   * baggage stops here (except the keys in `keepInboundBaggage`); an ID it claimed is
   * recorded as `session.rejected_id` / `session.rejected_thread_id` on the root span.
   * @default () => false (trust no one)
   * @example
   * trustInbound: (request) => request.headers.get('x-internal-token') === process.env.INTERNAL_TOKEN
   */
  trustInbound?: (request: InboundRequest) => boolean;
  /**
   * Baggage keys that an untrusted caller may pass on to this service's outbound calls.
   * Everything else it sends in baggage is dropped; `session.id` and `session.thread_id`
   * are never taken from it.
   * @default [] (keep none)
   */
  keepInboundBaggage?: readonly string[];
  /**
   * Believe the proxy in front of the service about the scheme: when the first value of
   * `x-forwarded-proto` is `https`, the thread cookie is `Secure`. Set it only when every
   * request comes through a proxy that sets (or overwrites) that header.
   * @default false (only a request that arrived over TLS makes the cookie `Secure`)
   */
  trustProxy?: boolean;
  /**
   * Refuse metadata entries that look like secrets or personal data (tokens, API keys,
   * high-entropy strings, credentials in URLs, e-mail addresses; keys as well as values),
   * with a warning that names the key and the reason. `false` records everything; a
   * function decides instead: it returns the reason to refuse, or `undefined` to record.
   * @default true
   */
  refuseSensitiveMetadata?: boolean | SensitiveMetadataCheck;
  /** Largest thread (state and metadata) in bytes, checked at each write. @default the `maxThreadBytes` of registerSessions, else 1048576 */
  maxThreadBytes?: number;
  /**
   * Paths that are no session (health checks, metrics, static files): an entry is an exact
   * path, or a prefix when it ends in `*`. The query string is not part of the path.
   * @default OTEL_SESSIONS_IGNORE_PATHS (comma-separated), else [] (every request is a session)
   * @example
   * ignorePaths: ['/health', '/metrics', '/static/*']
   */
  ignorePaths?: readonly string[];
}
