/**
 * The steady load of the outage and durability tests, and what Jaeger and the collector
 * received of it: demo-service (3 spans, 2 log records) calling echo-service (1 span,
 * 1 log record), one session per POST /chat.
 */
import assert from 'node:assert/strict';
import { DEMO_SERVICE, ECHO_SERVICE } from '../apps/start-apps.js';
import { findTraces, spanService, spanTag } from './jaeger.js';
import { waitUntil } from './wait.js';

/** Spans and log records of one session. */
export const DEMO_SPANS = 3;
export const ECHO_SPANS = 1;
export const LOGS_PER_SESSION = 3;

/** One request of the load. */
export interface Sample {
  phase: string;
  sentAt: number;
  receivedAt: number;
  ms: number;
  /** HTTP status, 0 when the request failed. */
  status: number;
  sessionId: string | undefined;
  error: string | undefined;
}

export interface Load {
  readonly samples: Sample[];
  setPhase(phase: string): void;
  inFlight(): number;
  /** Sends `n` more requests at once, on top of the steady rate. */
  burst(n: number): void;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** Open-loop load: one POST /chat every 1000/rate ms, whatever the answers take, each one a session. */
export function startLoad(baseUrl: string, rate: number, firstPhase: string): Load {
  const samples: Sample[] = [];
  let phase = firstPhase;
  let n = 0;
  const inFlight = new Set<Promise<void>>();
  const one = async (): Promise<void> => {
    const sentPhase = phase;
    const sentAt = Date.now();
    const t0 = performance.now();
    const sample = (status: number, sessionId: string | undefined, error: string | undefined): Sample => ({
      phase: sentPhase,
      sentAt,
      receivedAt: Date.now(),
      ms: performance.now() - t0,
      status,
      sessionId,
      error,
    });
    try {
      const response = await fetch(`${baseUrl}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestType: `load-${n++}`, message: 'hello' }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      samples.push(sample(response.status, response.headers.get('x-session-id') ?? undefined, undefined));
    } catch (error) {
      samples.push(
        sample(0, undefined, error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error)),
      );
    }
  };
  const send = (): void => {
    const request: Promise<void> = one().finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const timer = setInterval(send, 1000 / rate);
  return {
    samples,
    setPhase: (next) => void (phase = next),
    inFlight: () => inFlight.size,
    burst: (n) => {
      for (let i = 0; i < n; i++) send();
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export function latency(samples: Sample[]): { n: number; p50: number; p99: number; max: number } {
  const ms = samples.map((s) => s.ms);
  return { n: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), max: Math.max(...ms) };
}

export const fmt = (l: ReturnType<typeof latency>): string =>
  `n=${l.n} p50=${l.p50.toFixed(1)} ms p99=${l.p99.toFixed(1)} ms max=${l.max.toFixed(1)} ms`;

export function assertAllAnswered(samples: Sample[]): string[] {
  const failed = samples.filter((s) => s.status !== 200 || s.sessionId === undefined);
  assert.equal(
    failed.length,
    0,
    `${failed.length} of ${samples.length} requests failed, e.g. ${JSON.stringify(failed.slice(0, 3))}`,
  );
  return samples.map((s) => s.sessionId as string);
}

/** Per session, the distinct span IDs Jaeger holds for it, by service, and how many spans it returned in all. */
export interface SessionSpans {
  demo: Set<string>;
  echo: Set<string>;
  total: number;
}

export async function spansBySession(queryUrl: string): Promise<Map<string, SessionSpans>> {
  const traces = await findTraces(queryUrl, DEMO_SERVICE, {}, { limit: 100_000 });
  const bySession = new Map<string, SessionSpans>();
  for (const trace of traces) {
    for (const span of trace.spans) {
      const sessionId = spanTag(span, 'session.id');
      if (typeof sessionId !== 'string') continue;
      let entry = bySession.get(sessionId);
      if (!entry) bySession.set(sessionId, (entry = { demo: new Set(), echo: new Set(), total: 0 }));
      entry.total++;
      const service = spanService(trace, span);
      if (service === DEMO_SERVICE) entry.demo.add(span.spanID);
      else if (service === ECHO_SERVICE) entry.echo.add(span.spanID);
    }
  }
  return bySession;
}

export const whole = (spans: SessionSpans | undefined): boolean =>
  spans?.demo.size === DEMO_SPANS && spans.echo.size === ECHO_SPANS;

/**
 * Polls Jaeger until every one of `sessionIds` is there whole (exactly 3 distinct demo-service
 * spans and 1 echo-service span); returns how many duplicate spans Jaeger returned for them.
 */
export async function waitForWholeSessions(queryUrl: string, sessionIds: string[], timeoutMs: number): Promise<number> {
  let bySession = new Map<string, SessionSpans>();
  let incomplete = sessionIds;
  let lastError: unknown;
  try {
    await waitUntil(
      async () => {
        try {
          bySession = await spansBySession(queryUrl);
        } catch (error) {
          lastError = error;
          return false;
        }
        incomplete = sessionIds.filter((id) => !whole(bySession.get(id)));
        return incomplete.length === 0;
      },
      { timeoutMs, intervalMs: 1000, what: `${sessionIds.length} whole sessions in Jaeger` },
    );
  } catch (error) {
    const examples = incomplete.slice(0, 5).map((id) => {
      const spans = bySession.get(id);
      return `${id}: ${spans ? `${spans.demo.size} demo + ${spans.echo.size} echo spans` : 'absent'}`;
    });
    throw new Error(
      `${(error as Error).message}: ${incomplete.length} of ${sessionIds.length} incomplete, e.g. ${examples.join('; ')}` +
        (lastError instanceof Error ? `; last error: ${lastError.message}` : ''),
      { cause: error },
    );
  }
  return sessionIds.reduce((sum, id) => {
    const spans = bySession.get(id) as SessionSpans;
    return sum + spans.total - spans.demo.size - spans.echo.size;
  }, 0);
}

/** How many log records the collector's debug exporter printed for each session. */
export function logRecordsBySession(collectorOutput: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of collectorOutput.matchAll(/-> session\.id: Str\((sess_[\w-]+)\)/g)) {
    const id = match[1] as string;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
