import { NotFoundError } from '../cli-error.js';
import { renderHeader, statusCell, summaryToJson } from '../format/session-view.js';
import { renderTable, type Cell } from '../format/table.js';
import { formatDuration, formatTime } from '../format/values.js';
import { summarizeSessions } from '../session-summary.js';
import type { CommandContext } from './command-context.js';

/** `otel-sessions thread thrd_…`: the thread's sessions, oldest first. */
export async function threadCommand(ctx: CommandContext, threadId: string): Promise<number> {
  const { source, palette } = ctx;
  const sessions = summarizeSessions(await source.threadSpans(threadId)).sort((a, b) => a.startMs - b.startMs);
  if (sessions.length === 0) throw new NotFoundError('thread', threadId, source.description);

  if (ctx.json) {
    ctx.print(JSON.stringify({ source: source.description, threadId, sessions: sessions.map(summaryToJson) }, null, 2));
    return 0;
  }
  const failed = sessions.filter((session) => session.status === 'ERROR').length;
  const count = `${sessions.length} session${sessions.length === 1 ? '' : 's'}${failed > 0 ? palette.red(`, ${failed} with errors`) : ''}`;
  for (const line of renderHeader(
    [
      ['thread', palette.bold(threadId)],
      ['sessions', count],
    ],
    palette,
  ))
    ctx.print(line);
  ctx.print('');
  const rows: Cell[][] = [
    ['SESSION', 'START', 'DURATION', 'STATUS', 'ROOT SPAN', 'ERROR'].map((text) => ({ text, style: palette.dim })),
    ...sessions.map((session): Cell[] => [
      { text: session.id, style: palette.bold },
      { text: formatTime(session.startMs) },
      { text: formatDuration(session.endMs - session.startMs), right: true },
      statusCell(session.status, palette),
      { text: session.rootSpan ?? '-' },
      { text: session.error?.message ?? '', style: palette.red },
    ]),
  ];
  for (const line of renderTable(rows)) ctx.print(line);
  return 0;
}
