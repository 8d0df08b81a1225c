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
/** The thread ID for GenAI backends (the `otel` convention writes it on every span and log record). */
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
/**
 * Set on a session's root span when the request claimed a `session.id` in baggage that was
 * not taken: the claimed ID when well formed, else `malformed`.
 */
export const ATTR_SESSION_REJECTED_ID = 'session.rejected_id';
/** `true` on a session's root span when its thread's state could not be loaded (the thread store was unreachable). */
export const ATTR_SESSION_THREAD_STATE_UNAVAILABLE = 'session.thread_state_unavailable';
/** On a session's root span: the thread store could not save the session's thread changes (an outage, a lock held too long). */
export const ATTR_SESSION_THREAD_STATE_UNSAVED = 'session.thread_state_unsaved';
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

/** The request's session ID, under conventions where `session.id` names the conversation (OpenInference). */
export const ATTR_SESSION_REQUEST_ID = 'session.request_id';
/** The user (OpenTelemetry semantic conventions): an opaque ID, never an e-mail address. */
export const ATTR_USER_ID = 'user.id';
/** OpenInference: what a span is (`CHAIN`, `AGENT`, `LLM`, `TOOL`, …). */
export const ATTR_OPENINFERENCE_SPAN_KIND = 'openinference.span.kind';
/** OpenInference: the span's metadata, one JSON object. */
export const ATTR_OPENINFERENCE_METADATA = 'metadata';
/** OpenInference (also read by Langfuse): a span's input and output, and their MIME types. */
export const ATTR_INPUT_VALUE = 'input.value';
export const ATTR_INPUT_MIME_TYPE = 'input.mime_type';
export const ATTR_OUTPUT_VALUE = 'output.value';
export const ATTR_OUTPUT_MIME_TYPE = 'output.mime_type';
/** Langfuse: the conversation, the user, the trace's input, output and metadata. */
export const ATTR_LANGFUSE_SESSION_ID = 'langfuse.session.id';
export const ATTR_LANGFUSE_USER_ID = 'langfuse.user.id';
export const ATTR_LANGFUSE_TRACE_INPUT = 'langfuse.trace.input';
export const ATTR_LANGFUSE_TRACE_OUTPUT = 'langfuse.trace.output';
export const ATTR_LANGFUSE_TRACE_METADATA_PREFIX = 'langfuse.trace.metadata.';
/** GenAI semantic conventions: the messages in and out (recorded only when content capture is on). */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
