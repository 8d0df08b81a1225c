import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { EdgeOptions } from '../edge/edge-options.js';
import type { Convention } from '../session/conventions.js';
import type { ThreadStore } from '../thread/thread-store.js';

/** Options of {@link registerSessions}. Each falls back to its environment variable, then its default. */
export interface RegisterOptions {
  /** The service name on every span. @default OTEL_SERVICE_NAME, else the SDK's default */
  serviceName?: string;
  /**
   * The OTLP base URL of a collector (e.g. `http://localhost:4318`; over gRPC
   * `http://localhost:4317`); wins over every endpoint variable. Without any, spans and logs
   * go to the local journal instead. The protocol is OTEL_EXPORTER_OTLP_PROTOCOL's
   * (default `http/protobuf`); headers, compression, timeout and certificates come from
   * their standard variables.
   * @default OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _LOGS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT, else none
   */
  endpoint?: string;
  /** Folder of the local journal. @default OTEL_SESSIONS_JOURNAL_DIR, else '.otel-sessions' */
  journalDir?: string;
  /**
   * Most bytes of telemetry kept on disk per signal (under `<journalDir>/spool/`) while the
   * collector cannot be reached; sent once it answers again, or by the next process of the
   * service. Past it the oldest is dropped, and one message says how many spans and log
   * records were. @default OTEL_SESSIONS_SPOOL_MAX_BYTES, else 67108864 (64 MiB)
   */
  maxSpoolBytes?: number;
  /** Also keep the local journal when exporting to an endpoint. @default OTEL_SESSIONS_JOURNAL, else false */
  journal?: boolean;
  /**
   * Where threads live. @default a Redis store when OTEL_SESSIONS_REDIS_URL is set, else a SQLite
   * store in the journal folder (`<journalDir>/threads.sqlite`, made when a thread is first used)
   */
  threadStore?: ThreadStore;
  /**
   * Largest thread (state and metadata, in bytes): checked at each write, and by the default
   * store when it saves (a store given as `threadStore` keeps its own cap).
   * @default OTEL_SESSIONS_MAX_THREAD_BYTES, else 1048576 (1 MiB)
   */
  maxThreadBytes?: number;
  /**
   * How long a thread of the default store lives after its last activity, in ms; the thread
   * cookie lives as long. A store given as `threadStore` keeps its own (its `ttlMs`).
   * @default OTEL_SESSIONS_THREAD_TTL_MS, else 3600000
   */
  threadTtlMs?: number;
  /**
   * Make every request of a node:http or node:https server a session, before any framework
   * code runs (Express, Fastify, Koa, NestJS, Hono on node-server, plain handlers): its
   * options say how threads travel and whom to trust. `false` leaves requests alone (Hono's
   * `sessions()` then makes the sessions of the routes behind it).
   * @default OTEL_SESSIONS_EDGE, else true (with OTEL_SESSIONS_IGNORE_PATHS as `ignorePaths`)
   * @example
   * edge: { ignorePaths: ['/health', '/metrics'], trustInbound: (request) => request.headers.get('x-internal') === 'yes' }
   */
  edge?: boolean | EdgeOptions;
  /**
   * The names the session, the conversation and the user are written under, for the tool
   * that receives them: `otel` (Jaeger, any OTel backend: `session.id` is the request,
   * `session.thread_id` and `gen_ai.conversation.id` the conversation), `openinference`
   * (Arize Phoenix: `session.id` is the conversation, `session.request_id` the request) or
   * `langfuse` (`langfuse.session.id` is the conversation).
   * @default OTEL_SESSIONS_CONVENTION, else 'otel'
   */
  convention?: Convention;
  /**
   * Record each agent's input and output on its span and the session's root span, in the
   * convention's names, cut at 8,192 characters; a value that looks like a secret is left out.
   * Off unless asked: they hold what users typed.
   * @default OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, else false
   */
  captureContent?: boolean;
  /** More instrumentations, beside http and undici (fetch). @default [] */
  instrumentations?: Instrumentation[];
  /** More span processors, after the session processors (e.g. an in-memory exporter's). @default [] */
  spanProcessors?: SpanProcessor[];
  /** More log record processors, after the session processor. @default [] */
  logRecordProcessors?: LogRecordProcessor[];
  /** The level of the logger agents and routes get. @default OTEL_SESSIONS_LOG_LEVEL, else 'info' */
  logLevel?: string;
  /** Whether that logger also writes JSON lines to stdout. @default OTEL_SESSIONS_LOG_CONSOLE, else true */
  logToConsole?: boolean;
  /**
   * Whether that logger also adds each record as a `log` event to its span, so that Jaeger
   * (which stores no logs) shows it. Turn it off when a log backend receives the OTLP log
   * records: a record then costs less, and spans stay small.
   * @default OTEL_SESSIONS_LOG_SPAN_EVENTS, else true
   */
  logSpanEvents?: boolean;
  /** Flush on SIGTERM, SIGINT and before exit. @default true */
  flushOnExit?: boolean;
  /** Print OpenTelemetry warnings and errors to stderr. @default true */
  diagnostics?: boolean;
}
