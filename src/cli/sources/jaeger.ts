import { fieldText } from '../format/values.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ATTR_LOG_MESSAGE,
  ATTR_LOG_SEVERITY,
  ATTR_SESSION_ID,
  ATTR_SESSION_REQUEST_ID,
  ATTR_SESSION_THREAD_ID,
  LOG_EVENT_NAME,
} from '../../session/semconv.js';
import { CliError, EXIT_FAILURE } from '../cli-error.js';
import {
  withRequestSessionId,
  type FieldValue,
  type Fields,
  type LogEntry,
  type SpanEntry,
  type SpanStatus,
} from '../model.js';
import type { RecentQuery, SessionSource } from './session-source.js';

/** Options of {@link JaegerSource}. */
export interface JaegerSourceOptions {
  /**
   * The `fetch` to call; a test may pass its own.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * How long one request may take, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * How far back a session or thread lookup searches, in milliseconds.
   * @default 604800000 (7 days)
   */
  lookbackMs?: number;
  /**
   * How often `followLogs` asks Jaeger again, in milliseconds.
   * @default 2000
   */
  pollIntervalMs?: number;
  /**
   * The most traces one search asks each service for.
   * @default 1000
   */
  limit?: number;
  /**
   * The largest answer read from Jaeger, in bytes: past it the search stops with a message
   * saying how to narrow it, rather than holding an answer of any size in memory.
   * @default 67108864 (64 MiB)
   */
  maxAnswerBytes?: number;
  /**
   * How many requests to Jaeger run at once (a search across services asks each one).
   * @default 8
   */
  parallel?: number;
}

/** Tags Jaeger derives from OTLP fields; they are shown as status, kind, … rather than attributes. */
const JAEGER_INTERNAL_TAGS = new Set([
  'otel.status_code',
  'otel.status_description',
  'error',
  'span.kind',
  'internal.span.format',
  'otel.scope.name',
  'otel.scope.version',
  'otel.library.name',
  'otel.library.version',
]);

interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags?: JaegerKeyValue[];
  logs?: { timestamp: number; fields?: JaegerKeyValue[] }[];
  processID?: string;
}
interface JaegerTrace {
  traceID: string;
  spans?: JaegerSpan[];
  processes?: Record<string, { serviceName?: string }>;
}

/**
 * Reads sessions from Jaeger's HTTP query API (`/api/services`, and `/api/traces` with a
 * `tags` filter, which Jaeger matches against span attributes). Jaeger stores no logs:
 * the log records of a session are the `log` events on its spans.
 */
export class JaegerSource implements SessionSource {
  readonly description: string;
  readonly skippedLines = 0;
  private readonly base: URL;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly lookbackMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxAnswerBytes: number;
  private readonly parallel: number;
  private readonly limit: number;
  /** Keys of the log records already handed out, for `followLogs`. */
  private readonly seenLogs = new Set<string>();

  constructor(url: string, options: JaegerSourceOptions = {}) {
    this.description = url;
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.lookbackMs = options.lookbackMs ?? 7 * 24 * 3600 * 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.limit = options.limit ?? 1000;
    this.maxAnswerBytes = options.maxAnswerBytes ?? 64 * 1024 * 1024;
    this.parallel = options.parallel ?? 8;
  }

  async sessionSpans(sessionId: string): Promise<SpanEntry[]> {
    const since = Date.now() - this.lookbackMs;
    const spans = await this.search({ [ATTR_SESSION_ID]: sessionId }, undefined, since);
    // Under the OpenInference convention, the request's ID is `session.request_id`.
    return spans.length > 0 ? spans : this.search({ [ATTR_SESSION_REQUEST_ID]: sessionId }, undefined, since);
  }

  async sessionLogs(sessionId: string): Promise<LogEntry[]> {
    const logs = logsOf(await this.sessionSpans(sessionId));
    for (const log of logs) this.seenLogs.add(logKey(log));
    return logs;
  }

  threadSpans(threadId: string): Promise<SpanEntry[]> {
    return this.search({ [ATTR_SESSION_THREAD_ID]: threadId }, undefined, Date.now() - this.lookbackMs);
  }

  async recentSpans(query: RecentQuery): Promise<SpanEntry[]> {
    const spans = await this.search({}, query.service, query.sinceMs);
    return spans.filter((span) => typeof span.attributes[ATTR_SESSION_ID] === 'string');
  }

  async followLogs(sessionId: string, onLogs: (logs: LogEntry[]) => void, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.pollIntervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      const fresh = logsOf(await this.sessionSpans(sessionId)).filter((log) => !this.seenLogs.has(logKey(log)));
      for (const log of fresh) this.seenLogs.add(logKey(log));
      if (fresh.length > 0) onLogs(fresh);
    }
  }

  /** Searches every service (or the one given) for traces with spans carrying all `tags`. */
  private async search(
    tags: Record<string, string>,
    service: string | undefined,
    sinceMs: number,
  ): Promise<SpanEntry[]> {
    const services = service === undefined ? await this.services() : [service];
    const params: Record<string, string> = {
      start: String(Math.floor(sinceMs * 1000)),
      end: String((Date.now() + 60_000) * 1000),
      limit: String(this.limit),
    };
    if (Object.keys(tags).length > 0) params.tags = JSON.stringify(tags);
    const answers = await mapLimited(services, this.parallel, (name) =>
      this.get('api/traces', { ...params, service: name }, isObjectArray<JaegerTrace>),
    );
    const seen = new Set<string>();
    const spans: SpanEntry[] = [];
    for (const traces of answers) {
      for (const trace of traces ?? []) {
        for (const span of trace.spans ?? []) {
          const key = `${span.traceID}/${span.spanID}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const entry = toSpan(span, trace);
          if (matches(entry.attributes, tags)) spans.push(entry);
        }
      }
    }
    return spans;
  }

  private async services(): Promise<string[]> {
    return (await this.get('api/services', {}, isStringArray)) ?? [];
  }

  /**
   * GETs a Jaeger API path and returns the `data` of its JSON answer when it has the shape
   * `isData` checks: the whole request, body included, within the timeout, the body at most
   * `maxAnswerBytes`.
   */
  private async get<T>(
    path: string,
    params: Record<string, string>,
    isData: (data: unknown) => data is T,
  ): Promise<T | undefined> {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(url, { signal });
    } catch (error) {
      if (signal.aborted) throw this.timedOut(url);
      throw new CliError(`cannot reach Jaeger at ${this.description} (${reason(error)})`, EXIT_FAILURE);
    }
    if (!response.ok) {
      throw new CliError(
        `Jaeger at ${this.description} answered ${response.status} ${response.statusText} to ${url.pathname}`,
        EXIT_FAILURE,
      );
    }
    const text = await this.readBounded(response, url, signal);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CliError(`Jaeger at ${this.description} answered ${url.pathname} with something that is not JSON`);
    }
    const data = (body as { data?: unknown } | null)?.data;
    if (data === undefined || data === null) return undefined;
    if (!isData(data))
      throw new CliError(
        `Jaeger at ${this.description} answered ${url.pathname} in a shape it does not have (is it Jaeger's query API?)`,
        EXIT_FAILURE,
      );
    return data;
  }

  /** The answer's body as text, read chunk by chunk: at most `maxAnswerBytes`, within the request's timeout. */
  private async readBounded(response: Response, url: URL, signal: AbortSignal): Promise<string> {
    const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
    if (reader === undefined) return '';
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > this.maxAnswerBytes) {
          await reader.cancel().catch(() => undefined);
          throw new CliError(
            `Jaeger at ${this.description} answered ${url.pathname} with more than ${Math.round(this.maxAnswerBytes / 1048576)} MiB; narrow the search (--service, --since)`,
            EXIT_FAILURE,
          );
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (signal.aborted) throw this.timedOut(url);
      throw new CliError(
        `Jaeger at ${this.description} broke off its answer to ${url.pathname} (${reason(error)})`,
        EXIT_FAILURE,
      );
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private timedOut(url: URL): CliError {
    return new CliError(
      `Jaeger at ${this.description} did not answer ${url.pathname} within ${this.timeoutMs / 1000} s (timed out)`,
      EXIT_FAILURE,
    );
  }
}

/** Runs `fn` on every item, at most `limit` at once; the results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function isStringArray(data: unknown): data is string[] {
  return Array.isArray(data) && data.every((item) => typeof item === 'string');
}

function isObjectArray<T>(data: unknown): data is T[] {
  return Array.isArray(data) && data.every((item) => typeof item === 'object' && item !== null);
}

function toSpan(span: JaegerSpan, trace: JaegerTrace): SpanEntry {
  const tags = span.tags ?? [];
  const attributes: Fields = {};
  let status: SpanStatus = 'UNSET';
  let statusMessage: string | undefined;
  for (const tag of tags) {
    if (tag.key === 'otel.status_code') status = tag.value === 'ERROR' ? 'ERROR' : tag.value === 'OK' ? 'OK' : status;
    else if (tag.key === 'otel.status_description') statusMessage = String(tag.value);
    else if (tag.key === 'error' && tag.value === true) status = 'ERROR';
    if (!JAEGER_INTERNAL_TAGS.has(tag.key)) attributes[tag.key] = toValue(tag.value);
  }
  const parent = span.references?.find((ref) => ref.refType === 'CHILD_OF' && ref.traceID === span.traceID);
  const service = span.processID === undefined ? undefined : trace.processes?.[span.processID]?.serviceName;
  withRequestSessionId(attributes);
  const entry: SpanEntry = {
    traceId: span.traceID,
    spanId: span.spanID,
    name: span.operationName,
    startMs: span.startTime / 1000,
    endMs: (span.startTime + span.duration) / 1000,
    status,
    attributes,
    events: (span.logs ?? []).map((log) => {
      const fields: Fields = {};
      let name = '';
      for (const field of log.fields ?? []) {
        if (field.key === 'event') name = String(field.value);
        else fields[field.key] = toValue(field.value);
      }
      return { name, timeMs: log.timestamp / 1000, attributes: fields };
    }),
  };
  if (parent !== undefined) entry.parentSpanId = parent.spanID;
  if (service !== undefined) entry.service = service;
  if (statusMessage !== undefined && statusMessage !== '') entry.statusMessage = statusMessage;
  return entry;
}

/**
 * The log records of these spans: their `log` events, with the session's IDs of their span
 * (an event repeats them only when its span does not carry them).
 */
function logsOf(spans: SpanEntry[]): LogEntry[] {
  const logs: LogEntry[] = [];
  for (const span of spans) {
    const ids: Fields = {};
    for (const key of [ATTR_SESSION_ID, ATTR_SESSION_THREAD_ID])
      if (span.attributes[key] !== undefined) ids[key] = span.attributes[key];
    for (const event of span.events) {
      if (event.name !== LOG_EVENT_NAME) continue;
      const { [ATTR_LOG_SEVERITY]: level, [ATTR_LOG_MESSAGE]: message, ...own } = event.attributes;
      const fields = { ...ids, ...own };
      const log: LogEntry = {
        timeMs: event.timeMs,
        level: level === undefined || level === null ? '' : fieldText(level),
        message: message === undefined || message === null ? '' : fieldText(message),
        fields,
        traceId: span.traceId,
        spanId: span.spanId,
      };
      if (span.service !== undefined) log.service = span.service;
      logs.push(log);
    }
  }
  return logs;
}

function logKey(log: LogEntry): string {
  return `${log.spanId}/${log.timeMs}/${log.level}/${log.message}`;
}

function matches(attributes: Fields, tags: Record<string, string>): boolean {
  return Object.entries(tags).every(([key, value]) => attributes[key] === value);
}

function toValue(value: unknown): FieldValue {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as FieldValue;
  return JSON.stringify(value);
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
