import {
  trace,
  type AttributeValue,
  type Attributes,
  logs,
  SeverityNumber,
  type Logger,
  type Span,
} from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import TransportStream from 'winston-transport';
import {
  ATTR_LOG_MESSAGE,
  ATTR_LOG_SEVERITY,
  ATTR_SESSION_ID,
  ATTR_SESSION_THREAD_ID,
  LOG_EVENT_NAME,
  LOG_SPAN_ID,
  LOG_TRACE_ID,
} from '../session/semconv.js';
import { LOG_CONTEXT, type SessionLogEntry } from './session-format.js';

const SEVERITY: Record<string, SeverityNumber> = {
  error: SeverityNumber.ERROR,
  warn: SeverityNumber.WARN,
  info: SeverityNumber.INFO,
  http: SeverityNumber.INFO2,
  verbose: SeverityNumber.DEBUG2,
  debug: SeverityNumber.DEBUG,
  silly: SeverityNumber.TRACE,
};

/** Options of {@link OtelLogTransport}: winston's transport options, and whether records also become span events. */
export interface OtelLogTransportOptions extends TransportStream.TransportStreamOptions {
  /**
   * Also add each record as a `log` event to the span it was written in, so that trace
   * views that store no logs (Jaeger) show it in place. Turn it off when a log backend
   * receives the OTLP log records: each record then costs less, and spans stay small.
   * @default true
   */
  spanEvents?: boolean;
}

/**
 * A winston transport that sends each record to OpenTelemetry twice over: as a log record
 * through the Logs SDK (exported over OTLP, for log backends behind a collector; the SDK
 * makes none while its logger is disabled, as after a collector answered that it takes no
 * logs), and as a `log` event on the span it was written in, so that trace views such as
 * Jaeger's, which store no logs, show it in place (unless `spanEvents` is off). Use it with
 * `sessionFormat()` first in the format.
 */
export class OtelLogTransport extends TransportStream {
  private readonly otelLogger: Logger = logs.getLogger('otel-sessions');
  private readonly spanEvents: boolean;

  constructor(options: OtelLogTransportOptions = {}) {
    const { spanEvents, ...transportOptions } = options;
    super(transportOptions);
    this.spanEvents = spanEvents ?? true;
  }

  /** Called by winston for each record: emits it as a log record (and a span event), then calls `done`; never throws. */
  override log(entry: SessionLogEntry, done: () => void): void {
    try {
      this.emit('logged', entry);
      const { level, message } = entry;
      const ctx = entry[LOG_CONTEXT];
      const body = typeof message === 'string' ? message : String(message);
      const span = ctx === undefined ? undefined : trace.getSpan(ctx);
      const eventSpan = this.spanEvents && span?.isRecording() === true ? span : undefined;
      // The record's and the event's attributes in one pass over the entry, no spread.
      const eventAttributes: Attributes | undefined = eventSpan === undefined ? undefined : {};
      const attributes = toAttributes(
        entry,
        span !== undefined,
        eventAttributes,
        eventSpan !== undefined && carriesSession(eventSpan, entry),
      );
      this.otelLogger.emit({
        severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
        severityText: level,
        body,
        attributes,
        context: ctx,
      });
      if (eventSpan !== undefined && eventAttributes !== undefined) {
        eventAttributes[ATTR_LOG_SEVERITY] = level;
        eventAttributes[ATTR_LOG_MESSAGE] = body;
        // On one clock for every span: a span given its start time (the http
        // instrumentation's server span) would stamp its events with Date.now(), another
        // clock than its children's, and records in two spans could swap places.
        eventSpan.addEvent(LOG_EVENT_NAME, eventAttributes, hrTime());
      }
    } catch {
      // Telemetry never breaks logging.
    }
    done();
  }
}

/**
 * The record's own fields as OTel attributes: primitives as they are, the rest as JSON; also
 * written into `also` when given, there without the session's IDs when `alsoWithoutIds`.
 * Inside a span, not the format's `trace_id` and `span_id`: an OTel log record carries its
 * trace and span natively (from the context), and an event is on its span.
 */
function toAttributes(
  entry: SessionLogEntry,
  inSpan: boolean,
  also: Attributes | undefined,
  alsoWithoutIds: boolean,
): Attributes {
  const attributes: Attributes = {};
  for (const key of Object.keys(entry)) {
    // The record carries its own time; an undefined field is no field.
    if (key === 'level' || key === 'message' || key === 'timestamp') continue;
    if (inSpan && (key === LOG_TRACE_ID || key === LOG_SPAN_ID)) continue;
    const value = entry[key];
    if (value === undefined) continue;
    const attribute = toAttributeValue(value);
    attributes[key] = attribute;
    if (also === undefined || (alsoWithoutIds && (key === ATTR_SESSION_ID || key === ATTR_SESSION_THREAD_ID))) continue;
    also[key] = attribute;
  }
  return attributes;
}

/**
 * Whether `span` carries the record's session and thread IDs already (as every span started
 * in a session does): its events then need not repeat them, since Jaeger and the CLI find
 * events through their span.
 */
function carriesSession(span: Span, entry: SessionLogEntry): boolean {
  const spanAttributes = (span as Partial<ReadableSpan>).attributes;
  return (
    spanAttributes !== undefined &&
    spanAttributes[ATTR_SESSION_ID] === entry[ATTR_SESSION_ID] &&
    spanAttributes[ATTR_SESSION_THREAD_ID] === entry[ATTR_SESSION_THREAD_ID]
  );
}

function toAttributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
