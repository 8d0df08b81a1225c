import type { SessionError } from '../session-error.js';
import type { SessionSummary } from '../session-summary.js';
import type { SpanStatus } from '../model.js';
import type { Palette } from './palette.js';
import type { Cell } from './table.js';
import { formatTime } from './values.js';

/** A status cell: `error` in red, anything else `ok`. */
export function statusCell(status: SpanStatus, palette: Palette): Cell {
  return status === 'ERROR' ? { text: 'error', style: palette.red } : { text: 'ok', style: palette.green };
}

/** The one-line description of a session's error: message, then where and when. */
export function describeError(error: SessionError): string {
  const where = error.kind === 'log' ? 'error log' : error.kind === 'exception' ? 'exception' : 'span status ERROR';
  const span = error.spanName === undefined ? '' : ` in ${error.spanName}`;
  return `${error.message}  (${where}${span} at ${formatTime(error.timeMs)})`;
}

/** A key/value header block, keys aligned, values styled by the caller. */
export function renderHeader(entries: readonly [string, string][], palette: Palette): string[] {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${palette.dim(key.padEnd(width))}  ${value}`);
}

/** A session summary as JSON: times in ISO 8601 and milliseconds, the rest as read. */
export function summaryToJson(summary: SessionSummary): Record<string, unknown> {
  return {
    id: summary.id,
    threadId: summary.threadId ?? null,
    service: summary.service ?? null,
    rootSpan: summary.rootSpan ?? null,
    start: formatTime(summary.startMs),
    startUnixMs: summary.startMs,
    durationMs: summary.endMs - summary.startMs,
    status: summary.status,
    error: summary.error === undefined ? null : errorToJson(summary.error),
    metadata: summary.metadata,
    spanCount: summary.spanCount,
  };
}

/** A session error as JSON. */
export function errorToJson(error: SessionError): Record<string, unknown> {
  return { kind: error.kind, message: error.message, span: error.spanName ?? null, time: formatTime(error.timeMs) };
}
