import { context, type Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { getSessionScope } from '../session/context.js';
import { identityEntries, userAttributes, type Convention } from '../session/conventions.js';
import { Session } from '../session/session.js';

/** Options of {@link SessionLogRecordProcessor}. */
export interface SessionLogRecordProcessorOptions {
  /** The names the IDs are written under, as for the span processor. @default 'otel' */
  convention?: Convention;
}

/**
 * Puts the session's IDs (by the convention's names), and `user.id` once the session knows
 * its user, on every OpenTelemetry log record emitted inside a session, whichever bridge
 * emitted it (winston, pino, console). Place it before the exporting processor.
 */
export class SessionLogRecordProcessor implements LogRecordProcessor {
  private readonly convention: Convention;

  constructor(options: SessionLogRecordProcessorOptions = {}) {
    this.convention = options.convention ?? 'otel';
  }

  /** Writes the session's IDs on `logRecord` when `ctx` (else the active context) is inside a session; never throws. */
  onEmit(logRecord: ReadWriteLogRecord, ctx?: Context): void {
    const scope = getSessionScope(ctx ?? context.active());
    if (scope === undefined) return;
    const { attributes } = logRecord;
    try {
      // Records of otel-sessions' own transport carry the otel names already (from the winston format).
      for (const [key, value] of identityEntries(this.convention, scope))
        if (attributes[key] !== value) logRecord.setAttribute(key, value);
      const userId = scope.owner instanceof Session ? scope.owner.userId : undefined;
      if (userId !== undefined) logRecord.setAttributes(userAttributes(this.convention, userId));
    } catch {
      // A record that refuses attributes is not ours to fix.
    }
  }

  /**
   * False: this processor exports nothing, so it never keeps a logger enabled by itself
   * (`Logger.enabled`); the processors that export records decide.
   */
  enabled(): boolean {
    return false;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
