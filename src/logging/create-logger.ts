import winston from 'winston';
import { OtelLogTransport } from './otel-log-transport.js';
import { sessionFormat } from './session-format.js';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The lowest level written. @default 'info' */
  level?: string;
  /** Fields on every record of this logger (e.g. `{ service: 'billing' }`). @default {} */
  defaultMeta?: Record<string, unknown>;
  /** Also write JSON lines to the console (stdout). @default true */
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
 *
 * @example
 * const logger = createLogger();
 * logger.child({ userId }).info('Request context');
 */
export function createLogger(options: CreateLoggerOptions = {}): winston.Logger {
  const transports: winston.transport[] = [
    new OtelLogTransport({ spanEvents: options.spanEvents }),
    ...(options.transports ?? []),
  ];
  if (options.console ?? true) transports.push(new winston.transports.Console());
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(sessionFormat(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}
