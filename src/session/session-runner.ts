import {
  context,
  diag,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { guard } from '../internal/guard.js';
import { withSuppressed } from '../internal/rate-limited-warning.js';
import { ensureContextManager } from './context-manager.js';
import type { SessionsRuntime } from './sessions-runtime.js';
import { ThreadTooLargeError } from '../thread/thread-too-large-error.js';
import { Thread } from '../thread/thread.js';
import type { ThreadSnapshot, ThreadStore } from '../thread/thread-store.js';
import { contextWithSession, getSessionScope } from './context.js';
import { conventionMetadata, identityAttributes, roleAttributes, userAttributes } from './conventions.js';
import { newSessionId, newThreadId } from './ids.js';
import { metadataAttributes, type SensitiveMetadataCheck } from './metadata-attributes.js';
import {
  ATTR_SESSION_METADATA_PREFIX,
  ATTR_SESSION_THREAD_STATE_UNAVAILABLE,
  ATTR_SESSION_THREAD_STATE_UNSAVED,
  ATTR_THREAD_METADATA_PREFIX,
} from './semconv.js';
import { Session } from './session.js';

const tracer = trace.getTracer('otel-sessions');

/** One session to run, as an adapter (Hono middleware, standalone agent) describes it. @internal */
export interface SessionRun<T> {
  /** The thread store, logger, outage reporter and running-session count to use. */
  runtime: SessionsRuntime;
  /** Where threads live. @default runtime.threadStore */
  store?: ThreadStore;
  /** The context the session starts from (the request's, with its inbound trace context). */
  parentContext: Context;
  /** A thread ID the caller has verified (signed cookie or header): continued if still alive. */
  threadId?: string;
  /**
   * Keep `threadId` even when the store has no record of it (an empty thread): its token was
   * issued within the thread TTL, so the thread cannot have expired, only never been written.
   */
  keepThreadId?: boolean;
  /** Makes the ID of a new thread, when the session starts one. @default newThreadId */
  newThreadId?: () => string;
  /** A session and thread continued from a trusted caller (an internal service hop). */
  trusted?: { sessionId: string; threadId: string };
  /** Cap on a thread's size in bytes. @default runtime.maxThreadBytes */
  maxThreadBytes?: number;
  /** Refuse metadata that looks sensitive: `true`, `false`, or a function naming the reason. */
  refuseSensitiveMetadata: boolean | SensitiveMetadataCheck;
  /** A span already covering the request (the http instrumentation's server span): the root if it records. */
  adoptSpan?: Span;
  /** The root span to start when none is adopted. */
  rootSpan: { name: string; options: SpanOptions };
  /** The work, run inside the session's context. What it throws is recorded, then thrown on. */
  work: (session: Session, rootSpan: Span) => Promise<T>;
  /** A failure the work reported without throwing (Hono's `c.error`): recorded, not thrown. */
  failure?: () => unknown;
  /** Last words on the root span before the session closes (e.g. the matched route). */
  beforeClose?: (rootSpan: Span) => void;
}

/**
 * Runs one session from start to end: opens it (IDs, thread), puts it on the context,
 * adopts or starts its root span, runs the work, records a failure, writes the metadata,
 * saves the thread, ends the span, then settles `waitUntil` work in the background. The
 * session counts as running (a shutdown waits for it) until that work has settled.
 * Resolves with the work's result once the response part is done. @internal
 */
export async function runSession<T>(run: SessionRun<T>): Promise<T> {
  ensureContextManager();
  const { runtime } = run;
  const settled = runtime.running.begin();
  let session: Session;
  try {
    session = await openSession(run);
  } catch (error) {
    settled();
    throw error;
  }
  const base = contextWithSession(run.parentContext, { sessionId: session.id, threadId: session.thread.id }, session);
  const adopted = run.adoptSpan?.isRecording() ? run.adoptSpan : undefined;
  const rootSpan = adopted ?? tracer.startSpan(run.rootSpan.name, run.rootSpan.options, base);
  const ownSpan = adopted ? undefined : rootSpan;
  const sessionContext = trace.setSpan(base, rootSpan);
  session.rootSpan = rootSpan;
  guard(
    'tagging the root span',
    () => {
      const scope = getSessionScope(base);
      if (scope !== undefined) rootSpan.setAttributes(identityAttributes(runtime.convention, scope));
      rootSpan.setAttributes(roleAttributes(runtime.convention, 'root'));
      if (session.thread.stateUnavailable) rootSpan.setAttribute(ATTR_SESSION_THREAD_STATE_UNAVAILABLE, true);
    },
    undefined,
  );

  let outcome: { value: T } | { thrown: unknown };
  try {
    outcome = { value: await context.with(sessionContext, () => run.work(session, rootSpan)) };
  } catch (error) {
    outcome = { thrown: error };
  }
  const failure = 'thrown' in outcome ? outcome.thrown : guard('reading the failure', () => run.failure?.(), undefined);
  if (failure !== undefined) recordFailure(rootSpan, failure);
  if (run.beforeClose && rootSpan.isRecording())
    guard('naming the root span', () => run.beforeClose?.(rootSpan), undefined);
  recordMetadata(session, rootSpan, run);
  // Saved before the response goes: the next turn, sent the moment it arrives, sees it.
  if (session.thread.dirty) await saveThread(session, runtime);
  ownSpan?.end();
  if (session.pending.length === 0 && !session.thread.dirty) {
    // Nothing left in the background (most sessions): ended now, without a promise chain.
    context.with(sessionContext, () => session.complete());
    settled();
  } else {
    void context
      .with(sessionContext, () => settleSession(session, runtime))
      .catch((error: unknown) => diag.error('otel-sessions: settling a session failed', error))
      .finally(settled);
  }
  if ('thrown' in outcome) throw outcome.thrown;
  return outcome.value;
}

const UNAVAILABLE = Symbol('store unavailable');

/**
 * Opens a session: a new session ID, and the thread continued when `threadId` names a
 * live one (loaded in one store call) or is to be kept, else a new thread. A store that is
 * down never replaces a thread: the thread keeps its ID, with empty state that will not be
 * saved, and the request is served all the same.
 */
async function openSession<T>(run: SessionRun<T>): Promise<Session> {
  const { runtime, trusted } = run;
  const maxThreadBytes = run.maxThreadBytes ?? runtime.maxThreadBytes;
  const store = run.store ?? runtime.threadStore;
  const continued = trusted?.threadId ?? run.threadId;
  const loaded =
    continued === undefined
      ? undefined
      : await runtime.storeOutage.attempt<ThreadSnapshot | undefined | typeof UNAVAILABLE>(
          'load a thread',
          'read',
          () => store.load(continued),
          UNAVAILABLE,
        );
  const unavailable = loaded === UNAVAILABLE;
  // A thread destroyed less than a TTL ago never comes back, whatever token names it.
  const destroyed = !unavailable && loaded?.destroyed === true;
  const snapshot = unavailable || destroyed ? undefined : loaded;
  // A trusted caller's thread is kept even when this service's store has not seen it yet;
  // so is a thread whose token is younger than the TTL (it was never written, or not yet),
  // and any verified thread while the store cannot say.
  const kept =
    continued !== undefined && !destroyed && (snapshot !== undefined || unavailable || run.keepThreadId === true);
  const threadId = trusted?.threadId ?? (kept ? continued : (run.newThreadId ?? newThreadId)());
  const thread = new Thread(threadId, store, snapshot, maxThreadBytes, { stateUnavailable: unavailable });
  return new Session(trusted?.sessionId ?? newSessionId(), thread);
}

/** Puts the session's and the thread's metadata on the root span. Never throws. */
function recordMetadata<T>(session: Session, rootSpan: Span, run: SessionRun<T>): void {
  if (!rootSpan.isRecording()) return;
  const refused = new RefusedMetadata();
  const options = { refuseSensitive: run.refuseSensitiveMetadata, warn: refused.add };
  const { convention } = run.runtime;
  guard(
    'recording session metadata',
    () => {
      const thread = metadataAttributes('', session.thread.currentMetadata(), options);
      const own = metadataAttributes('', session.metadata, options);
      rootSpan.setAttributes(prefixed(ATTR_SESSION_METADATA_PREFIX, own));
      rootSpan.setAttributes(prefixed(ATTR_THREAD_METADATA_PREFIX, thread));
      // The session's own entries win over the thread's under the convention's single names.
      rootSpan.setAttributes(conventionMetadata(convention, { ...thread, ...own }));
      const { userId } = session;
      if (userId !== undefined) rootSpan.setAttributes(userAttributes(convention, userId));
    },
    undefined,
  );
  refused.warn(run.runtime, session.id);
}

/**
 * Waits for the session's background work, saves what it changed in the thread, then
 * fires `completed` and clears the session state. Never throws.
 */
async function settleSession(session: Session, runtime: SessionsRuntime): Promise<void> {
  while (session.pending.length > 0) {
    const batch = session.pending.splice(0);
    for (const result of await Promise.allSettled(batch)) {
      if (result.status === 'rejected') {
        const error = result.reason instanceof Error ? result.reason.message : String(result.reason);
        runtime.logger.error('Background work failed', { error });
      }
    }
  }
  if (session.thread.dirty) await saveThread(session, runtime);
  session.complete();
}

const reportedUnsaved = new WeakSet<Session>();
/**
 * The metadata entries a session did not record, told in one rate-limited warning: the
 * metadata may come from a request body, so its size must not decide how much is logged.
 */
class RefusedMetadata {
  private static readonly SHOWN = 10;
  private readonly shown: string[] = [];
  private count = 0;

  readonly add = (key: string, reason: string): void => {
    if (this.count++ < RefusedMetadata.SHOWN) this.shown.push(`"${key}" (${reason})`);
  };

  warn(runtime: SessionsRuntime, sessionId: string): void {
    if (this.count === 0) return;
    const more = this.count > this.shown.length ? `; and ${this.count - this.shown.length} more` : '';
    runtime.warnings.warn('refused metadata', (suppressed) =>
      runtime.logger.warn(
        `metadata not recorded: ${this.shown.join('; ')}${more}`,
        withSuppressed({ 'session.id': sessionId, refusedMetadata: this.count }, suppressed),
      ),
    );
  }
}

async function saveThread(session: Session, runtime: SessionsRuntime): Promise<void> {
  const { thread } = session;
  const changes = thread.takeChanges();
  const writes =
    changes.cleared ||
    changes.deleted.length > 0 ||
    Object.keys(changes.set).length > 0 ||
    Object.keys(changes.updates ?? {}).length > 0 ||
    changes.metadata !== undefined;
  // Nothing to write: the load and the session's spans already marked the thread's activity.
  if (!writes) return;
  const notSaved = (reason: string): void => {
    // At most one line per session (its waitUntil work may save a second time), and one a
    // minute in all during an outage (the outage itself is told once, by diag).
    if (reportedUnsaved.has(session)) return;
    reportedUnsaved.add(session);
    guard(
      'tagging the root span',
      () => session.rootSpan?.setAttribute(ATTR_SESSION_THREAD_STATE_UNSAVED, true),
      undefined,
    );
    runtime.warnings.warn('thread not saved', (suppressed) =>
      runtime.logger.warn(
        `The session's thread changes were not saved: ${reason}`,
        withSuppressed({ 'session.id': session.id, 'session.thread_id': thread.id }, suppressed),
      ),
    );
  };
  // Changes made on top of state that was never loaded would clobber the stored thread.
  if (thread.stateUnavailable) return notSaved('the thread store was unavailable when the session started');
  try {
    const saved = await runtime.storeOutage.attempt(
      'save a thread',
      'write',
      async () => {
        await thread.store.save(thread.id, changes);
        return true;
      },
      false,
    );
    if (!saved) notSaved('the thread store is unavailable');
  } catch (error) {
    // The store refused: sessions writing at once would have passed the thread's cap.
    if (!(error instanceof ThreadTooLargeError)) throw error;
    const { bytes, maxBytes, message } = error;
    // Rate-limited: a client that keeps sending large turns must not multiply the records.
    runtime.warnings.warn('thread too large', (suppressed) =>
      runtime.logger.error(
        `The session's thread changes were not saved: ${message}`,
        withSuppressed(
          { 'session.id': session.id, 'session.thread_id': thread.id, threadBytes: bytes, maxThreadBytes: maxBytes },
          suppressed,
        ),
      ),
    );
  }
}

function prefixed(prefix: string, attributes: Attributes): Attributes {
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [prefix + key, value]));
}

/** Marks `span` as failed by `error`. Never throws. @internal */
export function recordFailure(span: Span | undefined, error: unknown): void {
  if (!span?.isRecording()) return;
  guard(
    'recording an error',
    () => {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    },
    undefined,
  );
}
