import { context, type Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { getSessionScope } from '../session/context.js';
import { ATTR_SESSION_ID, ATTR_SESSION_THREAD_ID } from '../session/semconv.js';

/**
 * Puts `session.id` and `session.thread_id` on every OpenTelemetry log record emitted
 * inside a session, whichever bridge emitted it (winston, pino, console). Place it before
 * the exporting processor.
 */
export class SessionLogRecordProcessor implements LogRecordProcessor {
  onEmit(logRecord: ReadWriteLogRecord, ctx?: Context): void {
    const scope = getSessionScope(ctx ?? context.active());
    if (scope === undefined) return;
    const { attributes } = logRecord;
    // Records of otel-sessions' own transport carry both already (from the winston format).
    if (attributes[ATTR_SESSION_ID] === scope.sessionId && attributes[ATTR_SESSION_THREAD_ID] === scope.threadId)
      return;
    try {
      logRecord.setAttributes(scope.attributes);
    } catch {
      // A record that refuses attributes is not ours to fix.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
