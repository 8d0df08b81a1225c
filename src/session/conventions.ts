import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { IdentityEntries, SessionScope } from './context.js';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_INPUT_MIME_TYPE,
  ATTR_INPUT_VALUE,
  ATTR_LANGFUSE_SESSION_ID,
  ATTR_LANGFUSE_TRACE_INPUT,
  ATTR_LANGFUSE_TRACE_METADATA_PREFIX,
  ATTR_LANGFUSE_TRACE_OUTPUT,
  ATTR_LANGFUSE_USER_ID,
  ATTR_OPENINFERENCE_METADATA,
  ATTR_OPENINFERENCE_SPAN_KIND,
  ATTR_OUTPUT_MIME_TYPE,
  ATTR_OUTPUT_VALUE,
  ATTR_SESSION_ID,
  ATTR_SESSION_REQUEST_ID,
  ATTR_SESSION_THREAD_ID,
  ATTR_USER_ID,
} from './semconv.js';

/**
 * How the conversation is named for the tool that receives the telemetry:
 * - `otel`: OpenTelemetry's names: `session.id` is the request, `session.thread_id` and
 *   `gen_ai.conversation.id` the conversation (Jaeger, Grafana, any OTel backend);
 * - `openinference`: Arize Phoenix and Arize: `session.id` is the conversation (the thread),
 *   the request is `session.request_id`, root and agent spans have an `openinference.span.kind`;
 * - `langfuse`: `langfuse.session.id` is the conversation, `session.id` stays the request.
 */
export type Convention = 'otel' | 'openinference' | 'langfuse';

/** The conventions, for settings that name one. */
export const CONVENTIONS: readonly Convention[] = ['otel', 'openinference', 'langfuse'];

/** Every attribute any convention writes the session's or the thread's ID under (the CLI shows them once, in its header). */
export const IDENTITY_KEYS: ReadonlySet<string> = new Set([
  ATTR_SESSION_ID,
  ATTR_SESSION_REQUEST_ID,
  ATTR_SESSION_THREAD_ID,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_LANGFUSE_SESSION_ID,
]);

/** What a span is, for OpenInference's `openinference.span.kind`. */
export type SpanRole = 'root' | 'agent';

/**
 * The identity attributes every span and log record of the session carries under
 * `convention`, made once per session and reused: the session and thread IDs by the
 * convention's names. The user (which may be known only later) is added apart.
 * @internal
 */
export function identityEntries(convention: Convention, scope: SessionScope): IdentityEntries {
  const cached = scope.identity;
  if (cached?.convention === convention) return cached.entries;
  const entries = Object.freeze(identityPairs(convention, scope.sessionId, scope.threadId));
  // A scope of another copy of otel-sessions in the process may be frozen: then not cached.
  if (!Object.isFrozen(scope)) scope.identity = { convention, entries };
  return entries;
}

function identityPairs(convention: Convention, sessionId: string, threadId: string): Array<[string, string]> {
  switch (convention) {
    case 'openinference':
      return [
        [ATTR_SESSION_ID, threadId],
        [ATTR_SESSION_REQUEST_ID, sessionId],
        [ATTR_SESSION_THREAD_ID, threadId],
      ];
    case 'langfuse':
      return [
        [ATTR_SESSION_ID, sessionId],
        [ATTR_SESSION_THREAD_ID, threadId],
        [ATTR_LANGFUSE_SESSION_ID, threadId],
      ];
    default:
      return [
        [ATTR_SESSION_ID, sessionId],
        [ATTR_SESSION_THREAD_ID, threadId],
        [ATTR_GEN_AI_CONVERSATION_ID, threadId],
      ];
  }
}

/** The identity attributes as one object (root spans, log records). @internal */
export function identityAttributes(convention: Convention, scope: SessionScope): Attributes {
  return Object.fromEntries(identityEntries(convention, scope));
}

/** The user's attributes under `convention`: `user.id`, and Langfuse's own name for it. */
export function userAttributes(convention: Convention, userId: string): Attributes {
  return convention === 'langfuse'
    ? { [ATTR_USER_ID]: userId, [ATTR_LANGFUSE_USER_ID]: userId }
    : { [ATTR_USER_ID]: userId };
}

/** What a root or agent span is called under `convention` (OpenInference's span kind), if anything. */
export function roleAttributes(convention: Convention, role: SpanRole): Attributes {
  if (convention !== 'openinference') return {};
  return { [ATTR_OPENINFERENCE_SPAN_KIND]: role === 'agent' ? 'AGENT' : 'CHAIN' };
}

/**
 * The session's metadata (already checked and recorded as `session.metadata.*` and
 * `session.thread_metadata.*`) by the convention's own names: OpenInference's `metadata`
 * (one JSON object), Langfuse's `langfuse.trace.metadata.<key>`.
 */
export function conventionMetadata(
  convention: Convention,
  metadata: Readonly<Record<string, AttributeValue>>,
): Attributes {
  const keys = Object.keys(metadata);
  if (keys.length === 0) return {};
  if (convention === 'openinference') return { [ATTR_OPENINFERENCE_METADATA]: JSON.stringify(metadata) };
  if (convention === 'langfuse')
    return Object.fromEntries(keys.map((key) => [`${ATTR_LANGFUSE_TRACE_METADATA_PREFIX}${key}`, metadata[key]!]));
  return {};
}

/** The largest input or output text recorded, in characters; longer text is cut, with a mark. */
export const MAX_CONTENT_CHARS = 8192;

/**
 * An agent's input or output as the convention records it, on the agent span and (`root`)
 * the session's root span: OpenInference's `input.value` / `output.value` (JSON), Langfuse's
 * trace input and output besides, or the GenAI semantic conventions' `gen_ai.input.messages`
 * / `gen_ai.output.messages`. `text` is the content as JSON or plain text, already checked.
 */
export function contentAttributes(
  convention: Convention,
  direction: 'input' | 'output',
  text: string,
  root: boolean,
): Attributes {
  const value = text.length > MAX_CONTENT_CHARS ? `${text.slice(0, MAX_CONTENT_CHARS)}…(truncated)` : text;
  const input = direction === 'input';
  if (convention === 'otel') {
    const message = [{ role: input ? 'user' : 'assistant', parts: [{ type: 'text', content: value }] }];
    return { [input ? ATTR_GEN_AI_INPUT_MESSAGES : ATTR_GEN_AI_OUTPUT_MESSAGES]: JSON.stringify(message) };
  }
  const attributes: Attributes = input
    ? { [ATTR_INPUT_VALUE]: value, [ATTR_INPUT_MIME_TYPE]: mimeOf(value) }
    : { [ATTR_OUTPUT_VALUE]: value, [ATTR_OUTPUT_MIME_TYPE]: mimeOf(value) };
  if (convention === 'langfuse' && root)
    attributes[input ? ATTR_LANGFUSE_TRACE_INPUT : ATTR_LANGFUSE_TRACE_OUTPUT] = value;
  return attributes;
}

function mimeOf(text: string): string {
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? 'application/json' : 'text/plain';
}
