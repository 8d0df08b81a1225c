import { context, trace, type Context } from '@opentelemetry/api';
// logform, not winston: loading winston itself here would load it before an SDK's winston
// instrumentation is enabled, which then never patches it.
import { format, type Format, type TransformableInfo } from 'logform';
import { getSessionScope } from '../session/context.js';
import { ATTR_SESSION_ID, ATTR_SESSION_THREAD_ID, LOG_SPAN_ID, LOG_TRACE_ID } from '../session/semconv.js';

/** Where the format leaves the log call's context for the transport (never serialized). */
export const LOG_CONTEXT = Symbol.for('otel-sessions.log-context');

/** A winston log entry as the session format leaves it. */
export type SessionLogEntry = TransformableInfo & { [LOG_CONTEXT]?: Context };

/**
 * A winston format that adds `session.id`, `session.thread_id`, `trace_id` and `span_id`
 * to every record written inside a session or span, and nothing outside one. Put it first
 * in a plain winston logger's format to get the same fields as `createLogger()`.
 *
 * @example
 * winston.createLogger({ format: winston.format.combine(sessionFormat(), winston.format.json()) })
 */
export const sessionFormat: () => Format = format((info: SessionLogEntry) => {
  const active = context.active();
  info[LOG_CONTEXT] = active;
  const scope = getSessionScope(active);
  if (scope !== undefined) {
    info[ATTR_SESSION_ID] = scope.sessionId;
    info[ATTR_SESSION_THREAD_ID] = scope.threadId;
  }
  const span = trace.getSpan(active);
  if (span !== undefined) {
    const spanContext = span.spanContext();
    info[LOG_TRACE_ID] = spanContext.traceId;
    info[LOG_SPAN_ID] = spanContext.spanId;
  }
  return info;
});
