/**
 * The attribute and baggage names this package writes.
 *
 * `session.id` is an experimental OpenTelemetry semantic convention, exported only from
 * `@opentelemetry/semantic-conventions/incubating`; its README advises copying unstable
 * names into the project rather than importing that entry at run time.
 */

/** A unique identifier for the session (OpenTelemetry semantic conventions). */
export const ATTR_SESSION_ID = 'session.id';
/** The conversation (thread) the session belongs to. */
export const ATTR_SESSION_THREAD_ID = 'session.thread_id';
/** Prefix of the session metadata attributes on a session's root span. */
export const ATTR_SESSION_METADATA_PREFIX = 'session.metadata.';
/** Prefix of the thread metadata attributes on a session's root span. */
export const ATTR_THREAD_METADATA_PREFIX = 'session.thread_metadata.';
/** Optional alias of the thread ID for GenAI backends. */
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
/**
 * Set on a session's root span when the request claimed a `session.id` in baggage that was
 * not taken: the claimed ID when well formed, else `malformed`.
 */
export const ATTR_SESSION_REJECTED_ID = 'session.rejected_id';
/** `true` on a session's root span when its thread's state could not be loaded (the thread store was unreachable). */
export const ATTR_SESSION_THREAD_STATE_UNAVAILABLE = 'session.thread_state_unavailable';
/** As {@link ATTR_SESSION_REJECTED_ID}, for a claimed `session.thread_id`. */
export const ATTR_SESSION_REJECTED_THREAD_ID = 'session.rejected_thread_id';

/** Baggage keys: the same names as the span attributes. */
export const BAGGAGE_SESSION_ID = ATTR_SESSION_ID;
export const BAGGAGE_THREAD_ID = ATTR_SESSION_THREAD_ID;

/** Log record fields added by the winston format. */
export const LOG_TRACE_ID = 'trace_id';
export const LOG_SPAN_ID = 'span_id';

/** Name of the span event each winston record becomes on the span it was written in. */
export const LOG_EVENT_NAME = 'log';
/** The record's level, on a log span event. */
export const ATTR_LOG_SEVERITY = 'log.severity';
/** The record's message, on a log span event. */
export const ATTR_LOG_MESSAGE = 'log.message';
