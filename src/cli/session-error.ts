import { fieldText } from './format/values.js';
import type { FieldValue, LogEntry, SpanEntry } from './model.js';

/** The error a session ran into, shown before anything else. */
export interface SessionError {
  /** What it was found in: an exception event, a span's ERROR status, or an error-level log. */
  kind: 'exception' | 'span' | 'log';
  timeMs: number;
  message: string;
  /** The span it happened in, when known. */
  spanName?: string;
}

/** Errors closer in time than this are taken as happening together (see findSessionError). */
const SAME_MOMENT_MS = 20;

const ERROR_LEVELS = new Set(['error', 'fatal', 'crit', 'critical', 'alert', 'emerg']);

/** Whether a log level names an error. */
export function isErrorLevel(level: string): boolean {
  return ERROR_LEVELS.has(level.toLowerCase());
}

/**
 * The session's first error: the earliest of its exception events, spans with status
 * ERROR (by end time) and error-level log records, an exception first among those within
 * 20 ms of the earliest. `undefined` when it had none.
 */
export function findSessionError(spans: readonly SpanEntry[], logs: readonly LogEntry[]): SessionError | undefined {
  const candidates: SessionError[] = [];
  const spanNames = new Map(spans.map((span) => [span.spanId, span.name]));
  for (const span of spans) {
    for (const event of span.events) {
      if (event.name !== 'exception') continue;
      const type = event.attributes['exception.type'];
      const message = event.attributes['exception.message'];
      const text = [type, message]
        .filter((part): part is FieldValue => part !== undefined && part !== null && part !== '')
        .map(fieldText)
        .join(': ');
      candidates.push({ kind: 'exception', timeMs: event.timeMs, message: text || 'exception', spanName: span.name });
    }
    if (span.status === 'ERROR') {
      candidates.push({
        kind: 'span',
        timeMs: span.endMs,
        message: span.statusMessage ?? 'status ERROR',
        spanName: span.name,
      });
    }
  }
  for (const log of logs) {
    if (!isErrorLevel(log.level)) continue;
    const error: SessionError = { kind: 'log', timeMs: log.timeMs, message: log.message };
    const spanName = log.spanId === undefined ? undefined : spanNames.get(log.spanId);
    if (spanName !== undefined) error.spanName = spanName;
    candidates.push(error);
  }
  // Earliest first; at the same moment an exception says more than a status or a log line.
  // An exception and a log line are timed by different clocks (each span's anchored clock,
  // the logger's Date.now for journal records), which a loaded process lets drift apart by a
  // few ms: errors closer than SAME_MOMENT_MS are taken as simultaneous.
  const rank = { exception: 0, span: 1, log: 2 } as const;
  const earliest = Math.min(...candidates.map((candidate) => candidate.timeMs));
  const first = candidates.filter((candidate) => candidate.timeMs - earliest < SAME_MOMENT_MS);
  first.sort((a, b) => rank[a.kind] - rank[b.kind] || a.timeMs - b.timeMs);
  return first[0];
}
