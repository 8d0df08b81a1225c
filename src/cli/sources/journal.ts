import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mayHoldSignal, type JournalSignal } from '../../export/journal-files.js';
import { ATTR_SESSION_ID, ATTR_SESSION_THREAD_ID } from '../../session/semconv.js';
import type { FieldValue, LogEntry, SpanEntry } from '../model.js';
import { decodeOtlpLine, type DecodedLine, type RecordFilter } from './otlp-json.js';
import type { RecentQuery, SessionSource } from './session-source.js';

/** Options of {@link JournalSource}. */
export interface JournalSourceOptions {
  /**
   * How often `followLogs` looks for new lines, in milliseconds.
   * @default 250
   */
  pollIntervalMs?: number;
}

type Kind = JournalSignal;
const NEWLINE = 0x0a;

/**
 * Reads sessions from a journal folder of OTLP-JSON lines (what `JournalSpanExporter` and
 * `JournalLogExporter` write, or any collector file-exporter output named `*.jsonl`).
 *
 * Looking up one session is cheap on a large journal: each file is searched for the ID's
 * bytes and only the lines that contain it are parsed. Unreadable lines (corrupt, or cut
 * short by a crash) are skipped and counted in `skippedLines`.
 */
export class JournalSource implements SessionSource {
  readonly description: string;
  skippedLines = 0;
  private readonly dir: string;
  private readonly pollIntervalMs: number;
  /** Per log file, the byte offset up to which the last `sessionLogs` read whole lines. */
  private readonly logOffsets = new Map<string, number>();

  constructor(dir: string, options: JournalSourceOptions = {}) {
    this.dir = dir;
    this.description = dir;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  async sessionSpans(sessionId: string): Promise<SpanEntry[]> {
    return this.collect('spans', { key: ATTR_SESSION_ID, value: sessionId }).spans;
  }

  async sessionLogs(sessionId: string): Promise<LogEntry[]> {
    const filter = { key: ATTR_SESSION_ID, value: sessionId };
    const logs: LogEntry[] = [];
    for (const file of this.files('logs')) {
      const end = this.scanFile(file, 0, filter, (decoded) => logs.push(...decoded.logs));
      this.logOffsets.set(file, end);
    }
    return logs;
  }

  async threadSpans(threadId: string): Promise<SpanEntry[]> {
    return this.collect('spans', { key: ATTR_SESSION_THREAD_ID, value: threadId }).spans;
  }

  async recentSpans(query: RecentQuery): Promise<SpanEntry[]> {
    const spans: SpanEntry[] = [];
    for (const file of this.files('spans')) {
      // A file last written before `since` holds only spans that started before it.
      if (modifiedMs(file) < query.sinceMs) continue;
      this.scanFile(file, 0, undefined, (decoded) => {
        for (const span of decoded.spans) {
          if (typeof span.attributes[ATTR_SESSION_ID] !== 'string' || span.startMs < query.sinceMs) continue;
          if (query.service !== undefined && span.service !== query.service) continue;
          spans.push(summaryView(span));
        }
      });
    }
    return spans;
  }

  async followLogs(sessionId: string, onLogs: (logs: LogEntry[]) => void, signal: AbortSignal): Promise<void> {
    const filter = { key: ATTR_SESSION_ID, value: sessionId };
    while (!signal.aborted) {
      await sleep(this.pollIntervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      const logs: LogEntry[] = [];
      for (const file of this.files('logs')) {
        const from = this.logOffsets.get(file) ?? 0;
        const end = this.scanFile(file, from, filter, (decoded) => logs.push(...decoded.logs), false);
        this.logOffsets.set(file, end);
      }
      if (logs.length > 0) onLogs(logs);
    }
  }

  private collect(kind: Kind, filter: RecordFilter): DecodedLine {
    const result: DecodedLine = { spans: [], logs: [] };
    for (const file of this.files(kind)) {
      this.scanFile(file, 0, filter, (decoded) => {
        result.spans.push(...decoded.spans);
        result.logs.push(...decoded.logs);
      });
    }
    return result;
  }

  /**
   * The journal files that may hold `kind` records: the journal's own `spans-*` or
   * `logs-*` files, and any other `*.jsonl` file (which may hold either).
   */
  private files(kind: Kind): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => mayHoldSignal(name, kind))
      .sort()
      .map((name) => join(this.dir, name));
  }

  /**
   * Decodes the whole lines of `file` from byte `from` on that contain the filter's value,
   * or every line when there is no filter, and returns the offset just past the last whole
   * line. A last line without its newline is counted as unreadable when `countPartial`
   * (a finished read) and left for the next read otherwise (a follow in progress).
   */
  /**
   * Decodes the whole lines of `file` from `from` on, a window at a time (memory stays flat
   * whatever the file's size; a window grows only for a line longer than it), and returns the
   * offset after the last whole line. With a filter, only lines holding its value are parsed.
   */
  private scanFile(
    file: string,
    from: number,
    filter: RecordFilter | undefined,
    onDecoded: (decoded: DecodedLine) => void,
    countPartial = true,
  ): number {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return from;
    }
    try {
      let position = from;
      // One buffer for every window (lines are decoded to strings before the next read).
      let buffer = Buffer.allocUnsafe(WINDOW_BYTES);
      for (;;) {
        const read = readFull(fd, buffer, position);
        const chunk = buffer.subarray(0, read);
        const wholeEnd = chunk.lastIndexOf(NEWLINE) + 1;
        const atEnd = read < buffer.length;
        if (wholeEnd === 0 && !atEnd) {
          // One line longer than the window: read it whole.
          buffer = Buffer.allocUnsafe(buffer.length * 2);
          continue;
        }
        this.decodeLines(chunk, wholeEnd, filter, onDecoded);
        position += wholeEnd;
        if (atEnd) {
          if (countPartial && wholeEnd < read) this.countPartial(chunk.subarray(wholeEnd), filter);
          return position;
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Decodes the lines of `buffer` up to `wholeEnd` (with a filter, only those holding its value). */
  private decodeLines(
    buffer: Buffer,
    wholeEnd: number,
    filter: RecordFilter | undefined,
    onDecoded: (decoded: DecodedLine) => void,
  ): void {
    const decode = (start: number, end: number): void => {
      if (end <= start) return;
      const decoded = decodeOtlpLine(buffer.toString('utf8', start, end), filter);
      if (decoded === undefined) this.skippedLines += 1;
      else onDecoded(decoded);
    };
    if (filter === undefined) {
      let start = 0;
      while (start < wholeEnd) {
        const end = buffer.indexOf(NEWLINE, start);
        decode(start, end);
        start = end + 1;
      }
      return;
    }
    const needle = Buffer.from(filter.value);
    let hit = buffer.indexOf(needle);
    while (hit !== -1 && hit < wholeEnd) {
      const start = buffer.lastIndexOf(NEWLINE, hit) + 1;
      const end = buffer.indexOf(NEWLINE, hit);
      decode(start, end);
      hit = buffer.indexOf(needle, end + 1);
    }
  }

  /** A line cut short at the file's end (a writer killed mid-line) counts as skipped. */
  private countPartial(tail: Buffer, filter: RecordFilter | undefined): void {
    if (filter !== undefined && !tail.includes(filter.value)) return;
    if (tail.toString('utf8').trim() !== '') this.skippedLines += 1;
  }
}

/**
 * What a session summary reads of a span (its `session.*` attributes, its exception events),
 * so that listing a large journal keeps little of each span: a span's other attributes and
 * events (log records among them) may be large.
 */
function summaryView(span: SpanEntry): SpanEntry {
  const attributes: SpanEntry['attributes'] = {};
  for (const key of Object.keys(span.attributes))
    if (key.startsWith(SESSION_NAMESPACE)) attributes[key] = span.attributes[key] as FieldValue;
  return { ...span, attributes, events: span.events.filter((event) => event.name === 'exception') };
}

const SESSION_NAMESPACE = 'session.';

/** How much of a journal file is read at once. */
const WINDOW_BYTES = 4 * 1024 * 1024;

/** Fills `buffer` from `fd` at `position` as far as the file goes; the bytes read. */
function readFull(fd: number, buffer: Buffer, position: number): number {
  let read = 0;
  while (read < buffer.length) {
    const n = readSync(fd, buffer, read, buffer.length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return read;
}

function modifiedMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
