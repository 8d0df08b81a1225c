/**
 * Jaeger's query HTTP API, as the Jaeger UI's search uses it.
 *
 * Searches go through the v1-style `/api/traces?service=…&tags=<JSON>` endpoint: in Jaeger
 * v1.76 (v2.13) the v3 HTTP search ignores attributes. All tags of one search must match on
 * the same span (span, scope or resource attributes, or span-event attributes).
 */
import { waitUntil } from './wait.js';

/** A tag (attribute) in Jaeger's JSON model. */
export interface JaegerKeyValue {
  key: string;
  type: string;
  value: string | number | boolean;
}

/** A span in Jaeger's JSON model. Times are microseconds. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[];
  /** Span events (OTel) become Jaeger "logs": a timestamp and fields (the event name is `event`). */
  logs: { timestamp: number; fields: JaegerKeyValue[] }[];
  processID: string;
  warnings: string[] | null;
}

/** A trace in Jaeger's JSON model. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  /** By `processID`: the resource of each span (`serviceName` plus resource attributes). */
  processes: Record<string, { serviceName: string; tags: JaegerKeyValue[] }>;
  warnings: string[] | null;
}

interface JaegerResponse<T> {
  data: T | null;
  errors: { code: number; msg: string }[] | null;
}

/** Options of {@link findTraces}. */
export interface FindTracesOptions {
  /** Most traces returned (Jaeger's `limit`); default 100. */
  limit?: number;
  /** How far back to search, in milliseconds; default one hour. */
  lookbackMs?: number;
}

async function getJson<T>(url: URL): Promise<T> {
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url.href}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as JaegerResponse<T>;
  if (body.errors !== null && body.errors.length > 0) {
    throw new Error(`GET ${url.href}: ${body.errors.map((e) => e.msg).join('; ')}`);
  }
  if (body.data === null) throw new Error(`GET ${url.href}: no data in the response`);
  return body.data;
}

/**
 * The traces of `service` having a span whose attributes include every entry of `tags`,
 * e.g. `findTraces(queryUrl, 'demo', { 'session.id': 'sess_…' })`.
 * @param queryUrl base URL of Jaeger's query service, e.g. `http://127.0.0.1:16686`
 */
export async function findTraces(
  queryUrl: string,
  service: string,
  tags: Record<string, string> = {},
  options: FindTracesOptions = {},
): Promise<JaegerTrace[]> {
  const { limit = 100, lookbackMs = 60 * 60 * 1000 } = options;
  const url = new URL('/api/traces', queryUrl);
  url.searchParams.set('service', service);
  if (Object.keys(tags).length > 0) url.searchParams.set('tags', JSON.stringify(tags));
  url.searchParams.set('limit', String(limit));
  // Jaeger takes the search window in microseconds; `end` defaults to now.
  url.searchParams.set('start', String((Date.now() - lookbackMs) * 1000));
  return getJson<JaegerTrace[]>(url);
}

/** One trace by ID (32 hex digits), or undefined when Jaeger does not have it. */
export async function getTrace(queryUrl: string, traceId: string): Promise<JaegerTrace | undefined> {
  const url = new URL(`/api/traces/${encodeURIComponent(traceId)}`, queryUrl);
  const response = await fetch(url);
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new Error(`GET ${url.href}: HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  const body = (await response.json()) as JaegerResponse<JaegerTrace[]>;
  return body.data?.[0];
}

/** The service names Jaeger has seen. */
export async function listServices(queryUrl: string): Promise<string[]> {
  return (await getJson<string[] | null>(new URL('/api/services', queryUrl))) ?? [];
}

/** Options of {@link waitForTraces}. */
export interface WaitForTracesOptions extends FindTracesOptions {
  /** The condition to wait for; default: at least one trace. */
  until?: (traces: JaegerTrace[]) => boolean;
  /** Default 15 000 ms. */
  timeoutMs?: number;
  /** Default 200 ms. */
  intervalMs?: number;
}

/**
 * Repeats {@link findTraces} until `until(traces)` holds, and returns those traces. Spans
 * reach Jaeger a little after they end (SDK batch, collector batch, Jaeger batch), so a test
 * polls rather than sleeps. Throws on timeout, with the last answer or error in the message.
 */
export async function waitForTraces(
  queryUrl: string,
  service: string,
  tags: Record<string, string> = {},
  options: WaitForTracesOptions = {},
): Promise<JaegerTrace[]> {
  const { until = (traces) => traces.length > 0, timeoutMs = 15_000, intervalMs = 200, ...findOptions } = options;
  let traces: JaegerTrace[] = [];
  let lastError: unknown;
  try {
    await waitUntil(
      async () => {
        try {
          traces = await findTraces(queryUrl, service, tags, findOptions);
          lastError = undefined;
        } catch (error) {
          // e.g. "service not found" until the first span of the service arrives
          lastError = error;
          return false;
        }
        return until(traces);
      },
      { timeoutMs, intervalMs, what: `traces of ${service} with tags ${JSON.stringify(tags)}` },
    );
  } catch (error) {
    const last =
      lastError instanceof Error ? `last error: ${lastError.message}` : `last answer: ${traces.length} trace(s)`;
    throw new Error(`${(error as Error).message}; ${last}`, { cause: error });
  }
  return traces;
}

/** The value of a span's tag (attribute), or undefined. */
export function spanTag(span: JaegerSpan, key: string): string | number | boolean | undefined {
  return span.tags.find((tag) => tag.key === key)?.value;
}

/** The service name of a span in its trace. */
export function spanService(trace: JaegerTrace, span: JaegerSpan): string | undefined {
  return trace.processes[span.processID]?.serviceName;
}
