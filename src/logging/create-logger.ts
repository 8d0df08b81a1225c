import { createRequire } from 'node:module';
import type winston from 'winston';
import { jsonLine } from './json-line.js';
import { OtelLogTransport } from './otel-log-transport.js';
import { sessionFormat } from './session-format.js';
import { StdoutLinesTransport } from './stdout-lines.js';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The lowest level written. @default 'info' */
  level?: string;
  /** Fields on every record of this logger (e.g. `{ service: 'billing' }`). @default {} */
  defaultMeta?: Record<string, unknown>;
  /** Also write JSON lines to the console (stdout, one write per event-loop turn). @default true */
  console?: boolean;
  /** More winston transports. @default [] */
  transports?: winston.transport[];
  /**
   * Also add each record as a `log` event to its span, for trace views that store no logs
   * (Jaeger). Off is cheaper when a log backend receives the OTLP log records. @default true
   */
  spanEvents?: boolean;
}

/**
 * A winston logger whose records, and those of its `child()` loggers, carry `session.id`,
 * `session.thread_id`, `trace_id` and `span_id` when written inside a session, and go out
 * through OpenTelemetry (log records, and events on the current span unless `spanEvents` is off).
 * Console lines are JSON with a timestamp, keys in the order of the record, written to stdout
 * in one write per event-loop turn (at its end, and on exit).
 *
 * @example
 * const logger = createLogger();
 * logger.child({ userId }).info('Request context');
 */
export function createLogger(options: CreateLoggerOptions = {}): winston.Logger {
  const w = loadWinston();
  const transports: winston.transport[] = [
    new OtelLogTransport({ spanEvents: options.spanEvents }),
    ...(options.transports ?? []),
  ];
  if (options.console ?? true) transports.push(new StdoutLinesTransport());
  const logger = w.createLogger({
    level: options.level ?? 'info',
    defaultMeta: options.defaultMeta,
    format: w.format.combine(sessionFormat(), w.format.timestamp({ format: isoNow }), jsonLine()),
    transports: [...transports], // a copy: instrumentation-winston pushes its own into the array it is given
  });
  // `@opentelemetry/instrumentation-winston` adds its own OpenTelemetry transport to every
  // logger. Ours already sends each record, with the session's IDs and as a span event:
  // one is enough, or every record would be exported twice.
  for (const added of logger.transports.filter((transport) => !transports.includes(transport))) logger.remove(added);
  return logger;
}

let lastMs = -1;
let lastIso = '';

/**
 * Now as an ISO 8601 string, as `format.timestamp()` writes it, made once per millisecond:
 * the records of a busy process share it (`toISOString` costs about 0.5 µs, a lookup 0.04).
 */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/**
 * winston, loaded when the first logger is made rather than when this package is imported:
 * an SDK started after `otel-sessions` was imported (e.g. `sessionsConfiguration()` before
 * `new NodeSDK(...).start()`) can still instrument it.
 */
function loadWinston(): typeof winston {
  return createRequire(import.meta.url)('winston') as typeof winston;
}
