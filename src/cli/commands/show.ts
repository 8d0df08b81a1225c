import { IDENTITY_KEYS } from '../../session/conventions.js';
import { ATTR_SESSION_METADATA_PREFIX } from '../../session/semconv.js';
import { NotFoundError } from '../cli-error.js';
import type { Palette } from '../format/palette.js';
import { describeError, errorToJson, renderHeader, statusCell, summaryToJson } from '../format/session-view.js';
import { renderTable, type Cell } from '../format/table.js';
import { fieldText, formatDuration, formatFields, formatTime } from '../format/values.js';
import type { SpanEntry } from '../model.js';
import { findSessionError } from '../session-error.js';
import { summarizeSession } from '../session-summary.js';
import type { CommandContext } from './command-context.js';

/** A span and the spans started under it, in start order. */
interface SpanNode {
  span: SpanEntry;
  children: SpanNode[];
}

/** `otel-sessions show sess_…`: the session's error first, then its span tree. */
export async function showCommand(ctx: CommandContext, sessionId: string): Promise<number> {
  const { source, palette } = ctx;
  const [spans, logs] = await Promise.all([source.sessionSpans(sessionId), source.sessionLogs(sessionId)]);
  if (spans.length === 0 && logs.length === 0) throw new NotFoundError('session', sessionId, source.description);
  const summary = summarizeSession(sessionId, spans);
  const error = findSessionError(spans, logs);
  if (error !== undefined) summary.error = error;
  const roots = buildTree(spans);

  if (ctx.json) {
    ctx.print(
      JSON.stringify(
        {
          source: source.description,
          session: summaryToJson(summary),
          error: error ? errorToJson(error) : null,
          spans: roots.map(nodeToJson),
        },
        null,
        2,
      ),
    );
    return 0;
  }

  const header: [string, string][] = [['session', palette.bold(sessionId)]];
  if (summary.threadId !== undefined) header.push(['thread', summary.threadId]);
  if (summary.service !== undefined) header.push(['service', summary.service]);
  if (spans.length > 0) {
    header.push(['start', formatTime(summary.startMs)]);
    header.push(['duration', formatDuration(summary.endMs - summary.startMs)]);
    const status = statusCell(summary.status, palette);
    header.push(['status', status.style ? status.style(status.text) : status.text]);
  }
  if (Object.keys(summary.metadata).length > 0) header.push(['metadata', formatFields(summary.metadata)]);
  if (error !== undefined) header.push(['error', palette.red(describeError(error))]);
  for (const line of renderHeader(header, palette)) ctx.print(line);
  ctx.print('');
  if (spans.length === 0) {
    ctx.print(`no spans recorded for this session in ${source.description} (see: otel-sessions logs ${sessionId})`);
    return 0;
  }

  const rows: Cell[][] = [
    ['SPAN', 'START', 'DURATION', 'STATUS', 'DETAILS'].map((text) => ({ text, style: palette.dim })),
  ];
  const visit = (node: SpanNode, prefix: string, childPrefix: string): void => {
    rows.push(spanRow(node.span, prefix, summary.startMs, palette));
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      visit(child, childPrefix + (last ? '└─ ' : '├─ '), childPrefix + (last ? '   ' : '│  '));
    });
  };
  for (const root of roots) visit(root, '', '');
  rows[0]![1]!.right = true;
  rows[0]![2]!.right = true;
  for (const line of renderTable(rows)) ctx.print(line);
  return 0;
}

/** Span attributes already shown in the header. */
function isHeaderAttribute(key: string): boolean {
  return IDENTITY_KEYS.has(key) || key.startsWith(ATTR_SESSION_METADATA_PREFIX);
}

function spanRow(span: SpanEntry, prefix: string, sessionStartMs: number, palette: Palette): Cell[] {
  const details: string[] = [];
  if (span.statusMessage !== undefined) details.push(span.statusMessage);
  for (const event of span.events) {
    if (event.name !== 'exception') continue;
    const type = event.attributes['exception.type'];
    const message = event.attributes['exception.message'];
    const text = [type, message]
      .filter((part) => part !== undefined && part !== null)
      .map(fieldText)
      .join(': ');
    // A status message that only repeats the exception's says nothing new.
    if (details[0] === span.statusMessage && text.includes(span.statusMessage ?? '')) details.shift();
    details.push(`exception: ${text}`);
  }
  const errorText = details.join('; ');
  const attributes = Object.fromEntries(Object.entries(span.attributes).filter(([key]) => !isHeaderAttribute(key)));
  const attributeText = formatFields(attributes);
  const detailText = [errorText, attributeText].filter((part) => part !== '').join('  ');
  const styleDetails = (text: string): string =>
    errorText === ''
      ? palette.dim(text)
      : palette.red(errorText) + (attributeText === '' ? '' : `  ${palette.dim(attributeText)}`);
  return [
    { text: prefix + span.name, style: (text) => treeStyle(text, span, palette) },
    {
      text: span.startMs <= sessionStartMs ? '+0 ms' : `+${formatDuration(span.startMs - sessionStartMs)}`,
      right: true,
      style: palette.dim,
    },
    { text: formatDuration(span.endMs - span.startMs), right: true },
    statusCell(span.status, palette),
    { text: detailText, style: styleDetails },
  ];
}

/** Dims the tree lines before the span's name, and shows a failed span's name in red. */
function treeStyle(text: string, span: SpanEntry, palette: Palette): string {
  const name = span.name.trim();
  const cut = Math.max(0, text.length - name.length);
  return palette.dim(text.slice(0, cut)) + (span.status === 'ERROR' ? palette.red : palette.bold)(text.slice(cut));
}

/** Spans arranged by parent, roots and children in start order. */
function buildTree(spans: readonly SpanEntry[]): SpanNode[] {
  const nodes = new Map(spans.map((span) => [span.spanId, { span, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId === undefined ? undefined : nodes.get(node.span.parentSpanId);
    (parent === undefined ? roots : parent.children).push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode): number => a.span.startMs - b.span.startMs;
  for (const node of nodes.values()) node.children.sort(byStart);
  return roots.sort(byStart);
}

function nodeToJson(node: SpanNode): Record<string, unknown> {
  const { span } = node;
  return {
    name: span.name,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? null,
    service: span.service ?? null,
    start: formatTime(span.startMs),
    startUnixMs: span.startMs,
    durationMs: span.endMs - span.startMs,
    status: span.status,
    statusMessage: span.statusMessage ?? null,
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      time: formatTime(event.timeMs),
      attributes: event.attributes,
    })),
    children: node.children.map(nodeToJson),
  };
}
