import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { getSessionScope } from '../session/context.js';
import { identityEntries, userAttributes, type Convention } from '../session/conventions.js';
import { Session } from '../session/session.js';

/** Options of {@link SessionSpanProcessor}. */
export interface SessionSpanProcessorOptions {
  /**
   * The names the IDs are written under, for the tool that receives the spans: `otel`
   * (`session.id`, `session.thread_id`, `gen_ai.conversation.id`), `openinference` (Phoenix:
   * `session.id` is the thread, `session.request_id` the request) or `langfuse`
   * (`langfuse.session.id` is the thread).
   * @default 'otel'
   */
  convention?: Convention;
}

/**
 * Puts the session's IDs (by the convention's names) on every span that starts inside a
 * session, the user's own spans and those of auto-instrumentations alike, and `user.id` once
 * the session knows its user.
 *
 * The cost per span is one context lookup and a few `setAttribute` calls with attributes made
 * once per session: no baggage entries are read or parsed here. Baggage that arrived from
 * another process is never read, so a client cannot choose the session its spans are filed under.
 */
export class SessionSpanProcessor implements SpanProcessor {
  private readonly convention: Convention;

  constructor(options: SessionSpanProcessorOptions = {}) {
    this.convention = options.convention ?? 'otel';
  }

  /** Writes the session's IDs on `span` when `parentContext` is inside a session; never throws. */
  onStart(span: Span, parentContext: Context): void {
    const scope = getSessionScope(parentContext);
    if (scope === undefined) return;
    try {
      // Direct calls: cheaper than setAttributes, which walks an object with for-in.
      for (const [key, value] of identityEntries(this.convention, scope)) span.setAttribute(key, value);
      const userId = scope.owner instanceof Session ? scope.owner.userId : undefined;
      if (userId !== undefined) span.setAttributes(userAttributes(this.convention, userId));
    } catch {
      // A span that refuses attributes (ended, or a foreign implementation) is not ours to fix.
    }
  }

  /** Does nothing: the IDs are written when the span starts. */
  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
