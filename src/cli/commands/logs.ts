import { IDENTITY_KEYS } from '../../session/conventions.js';
import { ATTR_SESSION_THREAD_ID, LOG_SPAN_ID, LOG_TRACE_ID } from '../../session/semconv.js';
import { NotFoundError } from '../cli-error.js';
import { describeError, errorToJson, renderHeader } from '../format/session-view.js';
import { columnWidths, renderRow, type Cell } from '../format/table.js';
import { formatFields, formatTime } from '../format/values.js';
import type { LogEntry } from '../model.js';
import { findSessionError, isErrorLevel } from '../session-error.js';
import type { Palette } from '../format/palette.js';
import type { CommandContext } from './command-context.js';

/** Fields every record carries, shown in the header (or not at all) instead of per line. */
const HIDDEN_FIELDS = new Set([...IDENTITY_KEYS, LOG_TRACE_ID, LOG_SPAN_ID]);
const MESSAGE_CAP = 60;
const HEADER: Cell[] = [{ text: 'TIME' }, { text: 'LEVEL' }, { text: 'MESSAGE' }, { text: 'FIELDS' }];

/**
 * `otel-sessions logs sess_…`: the session's log records in time order, its error first.
 * With `follow`, keeps printing new records until the context's signal aborts.
 */
export async function logsCommand(ctx: CommandContext, sessionId: string, follow: boolean): Promise<number> {
  const { source, palette } = ctx;
  const [logs, spans] = await Promise.all([source.sessionLogs(sessionId), source.sessionSpans(sessionId)]);
  if (logs.length === 0 && spans.length === 0) throw new NotFoundError('session', sessionId, source.description);
  sortByTime(logs);
  const error = findSessionError(spans, logs);
  const threadId = [
    ...logs.map((log) => log.fields[ATTR_SESSION_THREAD_ID]),
    ...spans.map((s) => s.attributes[ATTR_SESSION_THREAD_ID]),
  ].find((value): value is string => typeof value === 'string');

  if (ctx.json) {
    if (follow) {
      // One JSON object per line, so that a reader can act on each as it arrives.
      for (const log of logs) ctx.print(JSON.stringify(logToJson(log)));
    } else {
      ctx.print(
        JSON.stringify(
          {
            source: source.description,
            session: { id: sessionId, threadId: threadId ?? null },
            error: error === undefined ? null : errorToJson(error),
            records: logs.map(logToJson),
          },
          null,
          2,
        ),
      );
    }
  } else {
    const header: [string, string][] = [['session', palette.bold(sessionId)]];
    if (threadId !== undefined) header.push(['thread', threadId]);
    if (error !== undefined) header.push(['error', palette.red(describeError(error))]);
    header.push(['records', `${logs.length} log record${logs.length === 1 ? '' : 's'} in ${source.description}`]);
    for (const line of renderHeader(header, palette)) ctx.print(line);
    ctx.print('');
  }

  const widths = columnWidths(
    [HEADER, ...logs.map((log) => logRow(log, palette))],
    [undefined, undefined, MESSAGE_CAP],
  );
  // Room for records that arrive later with longer levels or messages.
  widths[1] = Math.max(widths[1] ?? 0, 5);
  widths[2] = Math.max(widths[2] ?? 0, follow ? MESSAGE_CAP / 2 : 0);
  if (!ctx.json && (logs.length > 0 || follow)) {
    ctx.print(
      renderRow(
        HEADER.map((cell) => ({ ...cell, style: palette.dim })),
        widths,
      ),
    );
    for (const log of logs) ctx.print(renderRow(logRow(log, palette), widths));
  }
  if (follow) {
    await source.followLogs(
      sessionId,
      (fresh) => {
        for (const log of sortByTime(fresh)) {
          ctx.print(ctx.json ? JSON.stringify(logToJson(log)) : renderRow(logRow(log, palette), widths));
        }
      },
      ctx.signal,
    );
  }
  return 0;
}

function logRow(log: LogEntry, palette: Palette): Cell[] {
  const level = log.level.toLowerCase();
  const levelStyle = isErrorLevel(level)
    ? palette.red
    : level.startsWith('warn')
      ? palette.yellow
      : level === 'info'
        ? palette.cyan
        : palette.dim;
  return [
    { text: formatTime(log.timeMs), style: palette.dim },
    { text: log.level || '-', style: levelStyle },
    { text: log.message, ...(isErrorLevel(level) ? { style: palette.red } : {}) },
    { text: formatFields(log.fields, HIDDEN_FIELDS), style: palette.dim },
  ];
}

function logToJson(log: LogEntry): Record<string, unknown> {
  return {
    time: formatTime(log.timeMs),
    timeUnixMs: log.timeMs,
    level: log.level,
    message: log.message,
    fields: log.fields,
    traceId: log.traceId ?? null,
    spanId: log.spanId ?? null,
    service: log.service ?? null,
  };
}

function sortByTime(logs: LogEntry[]): LogEntry[] {
  return logs.sort((a, b) => a.timeMs - b.timeMs);
}
