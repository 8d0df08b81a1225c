import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { getSessionScope } from '../session/context.js';
import { ATTR_GEN_AI_CONVERSATION_ID, ATTR_SESSION_ID, ATTR_SESSION_THREAD_ID } from '../session/semconv.js';

/** Options of {@link SessionSpanProcessor}. */
export interface SessionSpanProcessorOptions {
  /**
   * Also write the thread ID as `gen_ai.conversation.id`, for GenAI backends.
   * @default false
   */
  conversationIdAlias?: boolean;
}

/**
 * Puts `session.id` and `session.thread_id` on every span that starts inside a session:
 * the user's own spans and those of auto-instrumentations alike.
 *
 * The cost per span is one context lookup and two `setAttribute` calls with the IDs
 * `withSession` put on the context: no baggage entries are read or parsed here.
 * Baggage that arrived from another process is never read, so a client cannot choose
 * the session its spans are filed under.
 */
export class SessionSpanProcessor implements SpanProcessor {
  private readonly conversationIdAlias: boolean;

  constructor(options: SessionSpanProcessorOptions = {}) {
    this.conversationIdAlias = options.conversationIdAlias ?? false;
  }

  onStart(span: Span, parentContext: Context): void {
    const scope = getSessionScope(parentContext);
    if (scope === undefined) return;
    try {
      // Two direct calls: cheaper than setAttributes, which walks the object with for-in.
      span.setAttribute(ATTR_SESSION_ID, scope.sessionId);
      span.setAttribute(ATTR_SESSION_THREAD_ID, scope.threadId);
      if (this.conversationIdAlias) span.setAttribute(ATTR_GEN_AI_CONVERSATION_ID, scope.threadId);
    } catch {
      // A span that refuses attributes (ended, or a foreign implementation) is not ours to fix.
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
