import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { guard } from '../internal/guard.js';
import { newSessionId, newThreadId } from './ids.js';
import { metadataAttributes } from './metadata-attributes.js';
import { getLogger, getStoreOutage } from '../runtime/runtime-config.js';
import { ATTR_SESSION_METADATA_PREFIX, ATTR_THREAD_METADATA_PREFIX } from './semconv.js';
import { Session } from './session.js';
import { Thread } from '../thread/thread.js';
import type { ThreadStore } from '../thread/thread-store.js';

/** How a session starts. @internal */
export interface OpenSessionOptions {
  store: ThreadStore;
  /** A thread ID the caller has verified (signed cookie or header): continued if still alive. */
  threadId?: string;
  /** A session and thread continued from a trusted caller (an internal service hop). */
  trusted?: { sessionId: string; threadId: string };
  /** Cap on a thread's size in bytes. */
  maxThreadBytes?: number;
}

/**
 * Opens a session: a new session ID, and the thread continued when `threadId` names a
 * live one (loaded in one store call), else a new thread. A store that is down yields a
 * new thread: the request is served all the same. @internal
 */
export async function openSession(options: OpenSessionOptions): Promise<Session> {
  const { store, trusted, maxThreadBytes } = options;
  const continued = trusted?.threadId ?? options.threadId;
  const snapshot =
    continued === undefined
      ? undefined
      : await getStoreOutage().attempt('load a thread', () => store.load(continued), undefined);
  // A trusted caller's thread is kept even when this service's store has not seen it yet.
  const threadId = trusted?.threadId ?? (snapshot === undefined ? newThreadId() : (continued as string));
  return new Session(trusted?.sessionId ?? newSessionId(), new Thread(threadId, store, snapshot, maxThreadBytes));
}

/** Options of {@link closeSession}. @internal */
export interface CloseSessionOptions {
  /** Refuse metadata values that look like tokens, keys or e-mail addresses. */
  refuseSensitiveMetadata: boolean;
}

/**
 * Ends the response part of a session: metadata onto the root span, the thread saved
 * (so that the next turn, sent the moment this response arrives, sees it). Background
 * work from `waitUntil` is awaited after that by {@link settleSession}. Never throws. @internal
 */
export async function closeSession(
  session: Session,
  rootSpan: Span | undefined,
  options: CloseSessionOptions,
): Promise<void> {
  const warn = (key: string, reason: string): void => {
    getLogger().warn(`metadata "${key}" was not recorded: ${reason}`, { metadataKey: key });
  };
  const threadMetadata = await session.thread.currentMetadata().catch(() => ({}));
  if (rootSpan?.isRecording()) {
    guard(
      'recording session metadata',
      () => {
        rootSpan.setAttributes(
          metadataAttributes(ATTR_SESSION_METADATA_PREFIX, session.metadata, {
            refuseSensitive: options.refuseSensitiveMetadata,
            warn,
          }),
        );
        rootSpan.setAttributes(
          metadataAttributes(ATTR_THREAD_METADATA_PREFIX, threadMetadata, {
            refuseSensitive: options.refuseSensitiveMetadata,
            warn,
          }),
        );
      },
      undefined,
    );
  }
  await saveThread(session);
}

/**
 * Waits for the session's background work, saves what it changed in the thread, then
 * fires `completed` and clears the session state. Never throws. @internal
 */
export async function settleSession(session: Session): Promise<void> {
  while (session.pending.length > 0) {
    const batch = session.pending.splice(0);
    for (const result of await Promise.allSettled(batch)) {
      if (result.status === 'rejected') {
        const error = result.reason instanceof Error ? result.reason.message : String(result.reason);
        getLogger().error('Background work failed', { error });
      }
    }
  }
  if (session.thread.dirty) await saveThread(session);
  session.complete();
  session.state.clear();
}

async function saveThread(session: Session): Promise<void> {
  const { thread } = session;
  const changes = thread.takeChanges();
  await getStoreOutage().attempt('save a thread', () => thread.store.save(thread.id, changes), undefined);
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
