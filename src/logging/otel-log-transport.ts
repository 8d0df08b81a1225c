import { trace, type AttributeValue, type Attributes, logs, SeverityNumber, type Logger } from '@opentelemetry/api';
import TransportStream from 'winston-transport';
import { ATTR_LOG_MESSAGE, ATTR_LOG_SEVERITY, LOG_EVENT_NAME } from '../session/semconv.js';
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

/**
 * A winston transport that sends each record to OpenTelemetry twice over: as a log record
 * through the Logs SDK (exported over OTLP, for log backends behind a collector), and as
 * a `log` event on the span it was written in, so that trace views such as Jaeger's, which
 * store no logs, show it in place. Use it with `sessionFormat()` first in the format.
 */
export class OtelLogTransport extends TransportStream {
  private readonly otelLogger: Logger = logs.getLogger('otel-sessions');

  override log(entry: SessionLogEntry, done: () => void): void {
    try {
      this.emit('logged', entry);
      const { level, message } = entry;
      const ctx = entry[LOG_CONTEXT];
      const attributes = toAttributes(entry);
      const body = typeof message === 'string' ? message : String(message);
      this.otelLogger.emit({
        severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
        severityText: level,
        body,
        attributes,
        ...(ctx === undefined ? {} : { context: ctx }),
      });
      const span = ctx === undefined ? undefined : trace.getSpan(ctx);
      if (span?.isRecording()) {
        span.addEvent(LOG_EVENT_NAME, { ...attributes, [ATTR_LOG_SEVERITY]: level, [ATTR_LOG_MESSAGE]: body });
      }
    } catch {
      // Telemetry never breaks logging.
    }
    done();
  }
}

/** The record's own fields as OTel attributes: primitives as they are, the rest as JSON. */
function toAttributes(entry: SessionLogEntry): Attributes {
  const attributes: Attributes = {};
  for (const key of Object.keys(entry)) {
    // The record carries its own time; an undefined field is no field.
    if (key === 'level' || key === 'message' || key === 'timestamp' || entry[key] === undefined) continue;
    attributes[key] = toAttributeValue(entry[key]);
  }
  return attributes;
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
