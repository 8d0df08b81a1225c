import { context, propagation, type AttributeValue, type Context } from '@opentelemetry/api';
import { describeKind, isSessionId, isThreadId } from './ids.js';
import { LinkedContext } from './linked-context.js';
import { Session } from './session.js';
import { BAGGAGE_SESSION_ID, BAGGAGE_THREAD_ID } from './semconv.js';

/** The IDs that `withSession` puts on the context. */
export interface SessionIds {
  /** A session ID from `newSessionId()`. */
  sessionId: string;
  /** A thread ID from `newThreadId()`. */
  threadId: string;
}

/**
 * What a context knows of its session: the IDs and the session object, sealed once. The
 * processors make each convention's attributes from it once per session
 * (`identityEntries`), so that every span and log record below reuses them.
 * @internal
 */
export interface SessionScope extends Readonly<SessionIds> {
  /** The runtime's session object (agents, routes), when there is one. */
  readonly owner: object | undefined;
  /**
   * The identity attributes under the convention last asked for, made once per session by
   * `identityEntries` and kept here (not in a WeakMap keyed by the scope, whose entries cost
   * the garbage collector more than the scope itself). @internal
   */
  identity: { readonly convention: string; readonly entries: IdentityEntries } | undefined;
}

/** A session's identity attributes, as pairs. @internal */
export type IdentityEntries = ReadonlyArray<readonly [string, AttributeValue]>;

// Symbol.for, so that the ESM and CommonJS builds loaded in one process share the key.
const SESSION_SCOPE_KEY = Symbol.for('otel-sessions.scope');

/**
 * Runs `fn` inside a session: both IDs go into the OTel baggage of the active context
 * (so they cross process boundaries with W3C baggage) and are read back by
 * `getSessionId()`, `getThreadId()`, the span processors and the log format, after
 * `await`, in timers and in event handlers registered inside.
 *
 * Only `withSession` makes a session: baggage that merely arrives from another process
 * is never taken as one, so trusting inbound IDs is always an explicit call.
 *
 * @throws {TypeError} when either ID is missing or malformed.
 * @example
 * await withSession({ sessionId: newSessionId(), threadId: newThreadId() }, async () => {
 *   logger.info('inside'); // carries session.id and session.thread_id
 * });
 */
export function withSession<T>(ids: SessionIds, fn: () => T): T {
  return context.with(contextWithSession(context.active(), ids), fn);
}

/**
 * Returns `parent` with the session set on it (baggage and scope).
 * @throws {TypeError} when either ID is missing or malformed.
 */
export function contextWithSession(parent: Context, ids: SessionIds, owner?: object): Context {
  const { sessionId, threadId } = (ids ?? {}) as Partial<SessionIds>;
  if (!isSessionId(sessionId)) {
    throw new TypeError(
      `withSession: sessionId must be a session ID (sess_ and 24 URL-safe characters), got ${describeKind(sessionId)}`,
    );
  }
  if (!isThreadId(threadId)) {
    throw new TypeError(
      `withSession: threadId must be a thread ID (thrd_ and 24 URL-safe characters), got ${describeKind(threadId)}`,
    );
  }
  // Sealed: the IDs cannot change; only the identity cache is written.
  const scope: SessionScope = Object.seal({ sessionId, threadId, owner, identity: undefined });
  const inherited = propagation.getBaggage(parent);
  // Without baggage to keep (the edge drops an untrusted caller's), one Map rather than three.
  const baggage =
    inherited === undefined
      ? propagation.createBaggage({
          [BAGGAGE_SESSION_ID]: { value: sessionId },
          [BAGGAGE_THREAD_ID]: { value: threadId },
        })
      : inherited.setEntry(BAGGAGE_SESSION_ID, { value: sessionId }).setEntry(BAGGAGE_THREAD_ID, { value: threadId });
  // Linked contexts from here on: every context made inside the session adds to it, uncopied.
  return propagation.setBaggage(LinkedContext.with(parent, SESSION_SCOPE_KEY, scope), baggage);
}

/** The session scope of `ctx` (the active context by default), if any. @internal */
export function getSessionScope(ctx: Context = context.active()): SessionScope | undefined {
  return ctx.getValue(SESSION_SCOPE_KEY) as SessionScope | undefined;
}

/** The current session ID, or `undefined` outside a session. */
export function getSessionId(): string | undefined {
  return getSessionScope()?.sessionId;
}

/** The current thread ID, or `undefined` outside a session. */
export function getThreadId(): string | undefined {
  return getSessionScope()?.threadId;
}

/**
 * The current session: its ID, request-scoped `state` and `metadata`, `waitUntil`, and its
 * `thread` (state persisted across the conversation's turns). `undefined` outside a session,
 * or inside a bare `withSession` (which sets IDs only; an agent run there opens its session).
 * @example
 * app.post('/chat', async (req, res) => {
 *   await getSession()?.thread.state.push('messages', req.body.message, 20);
 * });
 */
export function getSession(): Session | undefined {
  const owner = getSessionScope()?.owner;
  return owner instanceof Session ? owner : undefined;
}
