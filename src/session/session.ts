import type { Span } from '@opentelemetry/api';
import { Listeners } from '../internal/listeners.js';
import { sensitiveReason } from './sensitive-metadata.js';
import type { Thread } from '../thread/thread.js';

/** The event of a session's `completed` listeners. */
export interface SessionCompletedEvent {
  /** The session that completed (`sess_…`). */
  readonly sessionId: string;
  /** Its thread (`thrd_…`). */
  readonly threadId: string;
}

const SESSION_BRAND = Symbol.for('otel-sessions.session');

/**
 * One request to an agent or route: it has its own ID, request-scoped state and
 * metadata, and belongs to a thread.
 */
export class Session {
  /** Recognises sessions made by either build (ESM or CommonJS) of this package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as { [SESSION_BRAND]?: boolean })[SESSION_BRAND] === true
    );
  }

  /** @internal */
  readonly [SESSION_BRAND] = true;
  /** The session ID (`sess_…`). */
  readonly id: string;
  /** The thread (conversation) this session belongs to. */
  readonly thread: Thread;
  /** Made at first use: most sessions keep no request-scoped state. */
  private ownState: Map<string, unknown> | undefined;
  /**
   * Values to filter on later: each string, number or boolean entry becomes a
   * `session.metadata.<key>` attribute on the session's root span when it ends.
   * Keep it to non-sensitive values or opaque identifiers.
   */
  readonly metadata: Record<string, unknown> = {};
  private readonly listeners = new Listeners<'completed', SessionCompletedEvent>();
  private explicitUserId: string | undefined;
  /** The last user ID checked, and whether it may be recorded: checked once, read per span. */
  private checkedUserId: { value: string; safe: boolean } | undefined;
  /** The session's root span, once the session runner has it. @internal */
  rootSpan: Span | undefined;
  /** Background work handed to `waitUntil`, settled by the session runner. @internal */
  readonly pending: Array<Promise<unknown>> = [];

  /**
   * Made by otel-sessions for each request (`ctx.session`, `c.var.session`): not for apps.
   * Kept in the type declarations, so that they do not offer a constructor without arguments.
   * @hidden
   */
  constructor(id: string, thread: Thread) {
    this.id = id;
    this.thread = thread;
  }

  /** Request-scoped state: cleared when the session ends. */
  get state(): Map<string, unknown> {
    return (this.ownState ??= new Map());
  }

  /**
   * The user this session is for: the one `setUserId` named, else the thread metadata's
   * `userId` (unless it looks like personal data, e.g. an e-mail address). It becomes `user.id`
   * (and the convention's user attribute) on the session's root span, its later spans and its
   * log records.
   */
  get userId(): string | undefined {
    const userId = this.explicitUserId ?? this.thread.userId;
    if (userId === undefined) return undefined;
    if (this.checkedUserId?.value !== userId)
      this.checkedUserId = { value: userId, safe: sensitiveReason('userId', userId) === undefined };
    return this.checkedUserId.safe ? userId : undefined;
  }

  /**
   * Names the user of this session, for tools that group by user (Phoenix, Langfuse). Use an
   * opaque ID (`u_1842`), never an e-mail address or a name.
   * @throws {TypeError} when `userId` is not a non-empty string of at most 256 characters, or
   *   looks like personal data or a secret.
   */
  setUserId(userId: string): void {
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256)
      throw new TypeError('setUserId: userId must be a non-empty string of at most 256 characters');
    const reason = sensitiveReason('userId', userId);
    if (reason !== undefined)
      throw new TypeError(`setUserId: the user ID looks like personal data or a secret (${reason}); use an opaque ID`);
    this.explicitUserId = userId;
  }

  /**
   * Keeps work going after the response: the session ends (its `completed` event, the thread
   * saved again, a shutdown waiting for it) only once `work` has settled. A function is
   * called now, inside the current context, so that what it does still belongs to the session.
   */
  waitUntil(work: Promise<unknown> | (() => Promise<unknown>)): void {
    this.pending.push(typeof work === 'function' ? work() : work);
  }

  /** Calls `listener` when the session has ended, background work included. */
  addEventListener(type: 'completed', listener: (event: SessionCompletedEvent) => void): void {
    this.listeners.add(type, listener);
  }

  /** Removes a listener added by `addEventListener`. */
  removeEventListener(type: 'completed', listener: (event: SessionCompletedEvent) => void): void {
    this.listeners.remove(type, listener);
  }

  /** Fires the `completed` listeners, then clears the request-scoped state. @internal */
  complete(): void {
    this.listeners.fire('completed', { sessionId: this.id, threadId: this.thread.id });
    this.ownState?.clear();
  }
}
