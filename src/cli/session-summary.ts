import { ATTR_SESSION_ID, ATTR_SESSION_METADATA_PREFIX, ATTR_SESSION_THREAD_ID } from '../session/semconv.js';
import type { Fields, SpanEntry, SpanStatus } from './model.js';
import { findSessionError, type SessionError } from './session-error.js';

/** One session, summed up from its spans. */
export interface SessionSummary {
  id: string;
  threadId?: string;
  /** The service of its root span. */
  service?: string;
  /** The name of its root span (its earliest span without a parent in the session). */
  rootSpan?: string;
  startMs: number;
  endMs: number;
  /** ERROR if any of its spans failed, else the root span's status. */
  status: SpanStatus;
  error?: SessionError;
  /** `session.metadata.<key>` attributes, by key. */
  metadata: Fields;
  spanCount: number;
}

/** Groups spans by `session.id` and sums up each session. Spans without one are left out. */
export function summarizeSessions(spans: readonly SpanEntry[]): SessionSummary[] {
  const bySession = new Map<string, SpanEntry[]>();
  for (const span of spans) {
    const id = span.attributes[ATTR_SESSION_ID];
    if (typeof id !== 'string') continue;
    let group = bySession.get(id);
    if (group === undefined) bySession.set(id, (group = []));
    group.push(span);
  }
  return [...bySession].map(([id, group]) => summarizeSession(id, group));
}

/** Sums up one session from its spans (at least one). */
export function summarizeSession(id: string, spans: readonly SpanEntry[]): SessionSummary {
  const ids = new Set(spans.map((span) => span.spanId));
  const roots = spans
    .filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId))
    .sort((a, b) => a.startMs - b.startMs);
  const root = roots[0];
  const metadata: Fields = {};
  let threadId: string | undefined;
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const span of spans) {
    startMs = Math.min(startMs, span.startMs);
    endMs = Math.max(endMs, span.endMs);
    for (const [key, value] of Object.entries(span.attributes)) {
      if (key.startsWith(ATTR_SESSION_METADATA_PREFIX))
        metadata[key.slice(ATTR_SESSION_METADATA_PREFIX.length)] = value;
      else if (key === ATTR_SESSION_THREAD_ID && typeof value === 'string') threadId ??= value;
    }
  }
  const error = findSessionError(spans, []);
  const summary: SessionSummary = {
    id,
    startMs,
    endMs,
    status: spans.some((span) => span.status === 'ERROR') ? 'ERROR' : (root?.status ?? 'UNSET'),
    metadata,
    spanCount: spans.length,
  };
  if (threadId !== undefined) summary.threadId = threadId;
  if (root?.service !== undefined) summary.service = root.service;
  if (root !== undefined) summary.rootSpan = root.name;
  if (error !== undefined) summary.error = error;
  return summary;
}
