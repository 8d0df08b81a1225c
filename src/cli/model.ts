import { ATTR_SESSION_ID, ATTR_SESSION_REQUEST_ID } from '../session/semconv.js';

/** A decoded attribute value: OTLP `AnyValue` or a Jaeger tag, as plain JSON. */
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

/** Attributes or log fields by name. */
export type Fields = Record<string, FieldValue>;

/** The status of a span, as OpenTelemetry names it. */
export type SpanStatus = 'UNSET' | 'OK' | 'ERROR';

/** An event on a span: an exception, a log record copied onto the span, … */
export interface SpanEventEntry {
  name: string;
  /** Milliseconds since the epoch, with sub-millisecond precision. */
  timeMs: number;
  attributes: Fields;
}

/** One span, read from the journal or from Jaeger. */
export interface SpanEntry {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** `service.name` of the process that wrote it. */
  service?: string;
  startMs: number;
  endMs: number;
  status: SpanStatus;
  statusMessage?: string;
  attributes: Fields;
  events: SpanEventEntry[];
}

/** One log record, read from the journal (OTLP log record) or from Jaeger (a `log` span event). */
export interface LogEntry {
  timeMs: number;
  /** The level as written (winston's level, OTLP `severityText`). */
  level: string;
  message: string;
  /** The record's fields, `session.id` and `session.thread_id` included. */
  fields: Fields;
  traceId?: string;
  spanId?: string;
  service?: string;
}

/**
 * `fields` with the request's session ID under `session.id`, as the CLI reads it, whatever
 * convention wrote them: under OpenInference's, `session.id` is the conversation and the
 * request is `session.request_id`. Changes `fields` and returns it.
 */
export function withRequestSessionId(fields: Fields): Fields {
  const requestId = fields[ATTR_SESSION_REQUEST_ID];
  if (typeof requestId === 'string') fields[ATTR_SESSION_ID] = requestId;
  return fields;
}
