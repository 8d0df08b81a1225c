/**
 * Load over loopback with autocannon: req/s and p99 of one run, with p99 taken from every
 * response's own time (autocannon's histogram rounds to whole ms).
 */
import { createRequire } from 'node:module';

/** One request autocannon sends (a subset of its options). */
export interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called before each send with the connection's context; returns the request to send. */
  setupRequest?: (request: LoadRequest, context: Record<string, unknown>) => LoadRequest;
  /** Called with each response, its body and headers, and the connection's context. */
  onResponse?: (
    status: number,
    body: string,
    context: Record<string, unknown>,
    headers: Record<string, string | string[]>,
  ) => void;
}

// autocannon ships no types: the little used here.
interface AutocannonResult {
  duration: number;
  requests: { total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
  ): void;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: LoadRequest[];
}) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** What one load run measured. */
export interface Load {
  rps: number;
  /** p99 response time, ms. */
  p99: number;
  /** Responses received. */
  responses: number;
  non2xx: number;
  errors: number;
}

/**
 * Runs autocannon against `url` for `seconds` with `connections` connections, each
 * walking `requests` in turn (autocannon clears a connection's context when it wraps
 * around to the first request).
 */
export async function load(url: string, seconds: number, connections: number, requests: LoadRequest[]): Promise<Load> {
  const times: number[] = [];
  const instance = autocannon({ url, connections, duration: seconds, requests });
  instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  times.sort((a, b) => a - b);
  const p99 = times.length === 0 ? NaN : times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)]!;
  return {
    rps: result.requests.total / result.duration,
    p99,
    responses: times.length,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
