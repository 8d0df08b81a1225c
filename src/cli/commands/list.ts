import { fieldText, formatValue } from '../format/values.js';
import { renderTable, type Cell } from '../format/table.js';
import { formatDuration, formatTime } from '../format/values.js';
import { statusCell, summaryToJson } from '../format/session-view.js';
import { summarizeSessions, type SessionSummary } from '../session-summary.js';
import type { CommandContext } from './command-context.js';

/** What `list` selects. */
export interface ListOptions {
  sinceMs: number;
  service?: string;
  metadata: [string, string][];
  limit: number;
  /** The current time, in milliseconds since the epoch. */
  now: number;
}

/** `otel-sessions list`: recent sessions, newest first. */
export async function listCommand(ctx: CommandContext, options: ListOptions): Promise<number> {
  const { source, palette } = ctx;
  const since = options.now - options.sinceMs;
  const query = options.service === undefined ? { sinceMs: since } : { sinceMs: since, service: options.service };
  const all = summarizeSessions(await source.recentSpans(query))
    .filter((session) => hasMetadata(session, options.metadata))
    .sort((a, b) => b.startMs - a.startMs);
  const sessions = all.slice(0, options.limit);

  if (ctx.json) {
    ctx.print(
      JSON.stringify(
        {
          source: source.description,
          since: formatTime(since),
          total: all.length,
          sessions: sessions.map(summaryToJson),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (sessions.length === 0) {
    ctx.print(`no sessions since ${formatTime(since)} in ${source.description}`);
    return 0;
  }
  const rows: Cell[][] = [
    ['SESSION', 'START', 'DURATION', 'STATUS', 'SERVICE', 'THREAD', 'ROOT SPAN'].map((text) => ({
      text,
      style: palette.dim,
    })),
    ...sessions.map((session): Cell[] => [
      { text: session.id, style: palette.bold },
      { text: formatTime(session.startMs) },
      { text: formatDuration(session.endMs - session.startMs), right: true },
      statusCell(session.status, palette),
      { text: session.service ?? '-' },
      { text: session.threadId ?? '-', style: palette.dim },
      { text: session.rootSpan ?? '-' },
    ]),
  ];
  for (const line of renderTable(rows)) ctx.print(line);
  if (all.length > sessions.length) {
    ctx.print(palette.dim(`showing the newest ${sessions.length} of ${all.length} sessions; use --limit for more`));
  }
  return 0;
}

function hasMetadata(session: SessionSummary, wanted: [string, string][]): boolean {
  return wanted.every(([key, value]) => {
    const actual = session.metadata[key];
    return actual !== undefined && (actual === value || formatValue(actual) === value || fieldText(actual) === value);
  });
}
