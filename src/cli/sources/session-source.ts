import type { LogEntry, SpanEntry } from '../model.js';

/** Which sessions `list` wants. */
export interface RecentQuery {
  /** Only sessions with a span that started at or after this time (ms since the epoch). */
  sinceMs: number;
  /** Only spans of this `service.name`. */
  service?: string;
}

/** Where the CLI reads sessions from: the local journal or Jaeger's query API. */
export interface SessionSource {
  /** Names the source in messages: the journal folder or the Jaeger URL. */
  readonly description: string;
  /** Lines that could not be read, so far (journal only; always 0 for Jaeger). */
  readonly skippedLines: number;
  /** The spans carrying `session.id` = `sessionId`. */
  sessionSpans(sessionId: string): Promise<SpanEntry[]>;
  /** The log records carrying `session.id` = `sessionId`, in no particular order. */
  sessionLogs(sessionId: string): Promise<LogEntry[]>;
  /** The spans carrying `session.thread_id` = `threadId`. */
  threadSpans(threadId: string): Promise<SpanEntry[]>;
  /**
   * Spans of recent sessions (those carrying a `session.id`), with at least what a session
   * summary reads: names, times, status, `session.*` attributes and exception events.
   */
  recentSpans(query: RecentQuery): Promise<SpanEntry[]>;
  /**
   * Calls `onLogs` with the session's log records that arrive after the last
   * `sessionLogs` call, until `signal` aborts.
   */
  followLogs(sessionId: string, onLogs: (logs: LogEntry[]) => void, signal: AbortSignal): Promise<void>;
}
