import { CliError } from '../cli-error.js';
import type { LogEntry, SpanEntry } from '../model.js';
import type { RecentQuery, SessionSource } from './session-source.js';

/** What a probe of one source found for a session. */
interface Found {
  source: SessionSource;
  spans?: SpanEntry[];
  logs?: LogEntry[];
}

/**
 * Several sources read in order: a session or a thread comes from the first source that has
 * it, and `list` shows the sessions of all of them. The CLI uses it for the local journal
 * followed by the Jaeger that `OTEL_SESSIONS_JAEGER_URL` names, so that a session is found
 * whether the app wrote it to the journal or exported it to a collector.
 */
export class FallbackSource implements SessionSource {
  private readonly sources: readonly [SessionSource, ...SessionSource[]];
  /** Per session ID, where it was found (the last source when no earlier one has it). */
  private readonly located = new Map<string, Promise<Found>>();
  /** The source the last lookup found its answer in, named in the commands' output. */
  private answered: SessionSource | undefined;

  constructor(sources: readonly [SessionSource, ...SessionSource[]]) {
    this.sources = sources;
  }

  /** The source that answered the last lookup, or all of them (`A or B`) until one has. */
  get description(): string {
    return this.answered?.description ?? this.sources.map((source) => source.description).join(' or ');
  }

  get skippedLines(): number {
    return this.sources.reduce((sum, source) => sum + source.skippedLines, 0);
  }

  async sessionSpans(sessionId: string): Promise<SpanEntry[]> {
    const found = await this.locate(sessionId);
    const spans = found.spans ?? (await this.ask(found.source, () => found.source.sessionSpans(sessionId)));
    if (spans.length > 0) this.answered = found.source;
    return spans;
  }

  async sessionLogs(sessionId: string): Promise<LogEntry[]> {
    const found = await this.locate(sessionId);
    const logs = found.logs ?? (await this.ask(found.source, () => found.source.sessionLogs(sessionId)));
    if (logs.length > 0) this.answered = found.source;
    return logs;
  }

  async threadSpans(threadId: string): Promise<SpanEntry[]> {
    for (const source of this.sources) {
      const spans = await this.ask(source, () => source.threadSpans(threadId));
      if (spans.length > 0) {
        this.answered = source;
        return spans;
      }
    }
    return [];
  }

  async recentSpans(query: RecentQuery): Promise<SpanEntry[]> {
    const answers = await Promise.all(this.sources.map((source) => source.recentSpans(query)));
    // A span both journaled and exported (OTEL_SESSIONS_JOURNAL=true) is listed once.
    const seen = new Set<string>();
    return answers.flat().filter((span) => {
      const key = `${span.traceId}/${span.spanId}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async followLogs(sessionId: string, onLogs: (logs: LogEntry[]) => void, signal: AbortSignal): Promise<void> {
    const { source } = await this.locate(sessionId);
    return source.followLogs(sessionId, onLogs, signal);
  }

  /** The first source with the session's spans or logs; the last source, unprobed, when none has. */
  private locate(sessionId: string): Promise<Found> {
    let found = this.located.get(sessionId);
    if (found === undefined) {
      found = this.probe(sessionId);
      this.located.set(sessionId, found);
    }
    return found;
  }

  private async probe(sessionId: string): Promise<Found> {
    for (const source of this.sources.slice(0, -1)) {
      const [spans, logs] = await Promise.all([source.sessionSpans(sessionId), source.sessionLogs(sessionId)]);
      if (spans.length > 0 || logs.length > 0) return { source, spans, logs };
    }
    return { source: this.sources[this.sources.length - 1] ?? this.sources[0] };
  }

  /** Runs a lookup on `source`; a failure says that the sources before it had nothing. */
  private async ask<T>(source: SessionSource, lookup: () => Promise<T>): Promise<T> {
    try {
      return await lookup();
    } catch (error) {
      const before = this.sources.slice(0, this.sources.indexOf(source));
      if (!(error instanceof CliError) || before.length === 0) throw error;
      const where = before.map((earlier) => earlier.description).join(' or ');
      throw new CliError(`not found in ${where}, and ${error.message}`, error.exitCode);
    }
  }
}
