/**
 * Issue 7, "Outages, with nothing lost", against the real collector and Jaeger processes of
 * issue 4 (test/e2e/support/jaeger.ts) and the demo-service → echo-service pair, both started
 * with `node --import otel-sessions/register`:
 *
 * 1. The collector process is stopped for 30 s while the services handle a steady load, then
 *    started again: every session of the run (before, during and after the outage) reaches
 *    Jaeger whole (3 demo-service spans + 1 echo-service span), every log record of the
 *    outage reaches the collector, no request fails, p99 latency during the outage stays
 *    below 1 s, and each app says once per signal that it cannot reach the collector and once
 *    that it answers again.
 * 2. The collector answers only after 3 s (a delaying proxy in front of it): p99 latency stays
 *    below 1 s and every session still arrives.
 * 3. SIGTERM to demo-service under load: every session answered before the signal is in Jaeger.
 *
 * One session per request, each one trace of 4 spans and 3 log records (2 + 1).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { findTraces, spanService, spanTag, startJaegerStack, type JaegerStack } from './support/jaeger.js';
import { LOOPBACK } from './support/ports.js';
import type { ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';
import { JOURNAL_FILE_PATTERN } from '../../src/export/journal-files.js';
import { DEMO_SERVICE, ECHO_SERVICE, type SessionApps } from './apps/start-apps.js';
import { rssMiB, startAppsAt } from './apps/start-apps.js';

/** Requests per second of the steady load. */
const RATE = 25;
/** The per-signal bound of what a process keeps while the collector is unreachable (OtlpSpool's default). */
const SPOOL_BOUND_MIB = 64;
/** Bound on p99 request latency: catches a request path that waits on the collector, nothing finer. */
const P99_BOUND_MS = 1000;
/** Spans and log records of one session. */
const DEMO_SPANS = 3;
const ECHO_SPANS = 1;
const LOGS_PER_SESSION = 3;

/** One request of the load. */
interface Sample {
  phase: string;
  sentAt: number;
  receivedAt: number;
  ms: number;
  /** HTTP status, 0 when the request failed. */
  status: number;
  sessionId: string | undefined;
  error: string | undefined;
}

interface Load {
  readonly samples: Sample[];
  setPhase(phase: string): void;
  inFlight(): number;
  /** Sends `n` more requests at once, on top of the steady rate. */
  burst(n: number): void;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** Open-loop load: one POST /chat every 1000/rate ms, whatever the answers take, each one a session. */
function startLoad(baseUrl: string, rate: number, firstPhase: string): Load {
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

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function latency(samples: Sample[]): { n: number; p50: number; p99: number; max: number } {
  const ms = samples.map((s) => s.ms);
  return { n: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), max: Math.max(...ms) };
}

const fmt = (l: ReturnType<typeof latency>): string =>
  `n=${l.n} p50=${l.p50.toFixed(1)} ms p99=${l.p99.toFixed(1)} ms max=${l.max.toFixed(1)} ms`;

function assertAllAnswered(samples: Sample[]): string[] {
  const failed = samples.filter((s) => s.status !== 200 || s.sessionId === undefined);
  assert.equal(
    failed.length,
    0,
    `${failed.length} of ${samples.length} requests failed, e.g. ${JSON.stringify(failed.slice(0, 3))}`,
  );
  return samples.map((s) => s.sessionId as string);
}

/** Per session, the distinct span IDs Jaeger holds for it, by service, and how many spans it returned in all. */
interface SessionSpans {
  demo: Set<string>;
  echo: Set<string>;
  total: number;
}

async function spansBySession(queryUrl: string): Promise<Map<string, SessionSpans>> {
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

const whole = (spans: SessionSpans | undefined): boolean =>
  spans?.demo.size === DEMO_SPANS && spans.echo.size === ECHO_SPANS;

/**
 * Polls Jaeger until every one of `sessionIds` is there whole (exactly 3 distinct demo-service
 * spans and 1 echo-service span); returns how many duplicate spans Jaeger returned for them.
 */
async function waitForWholeSessions(queryUrl: string, sessionIds: string[], timeoutMs: number): Promise<number> {
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
function logRecordsBySession(collectorOutput: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of collectorOutput.matchAll(/-> session\.id: Str\((sess_[\w-]+)\)/g)) {
    const id = match[1] as string;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

/** The spool's outage messages of one app, per signal. */
function outageMessages(
  app: ManagedProcess,
): Record<string, { cannotReach: number; answersAgain: number; lost: number }> {
  const output = app.output();
  const of = (path: string): { cannotReach: number; answersAgain: number; lost: number } => ({
    cannotReach: count(output, new RegExp(`cannot reach \\S+${path} `, 'g')),
    answersAgain: count(
      output,
      new RegExp(`\\S+${path} answers again after [\\d.]+ s; sending what was kept; nothing was lost`, 'g'),
    ),
    lost: count(
      output,
      new RegExp(`\\S+${path} answers again after [\\d.]+ s; sending what was kept; \\d+ batches were dropped`, 'g'),
    ),
  });
  return { traces: of('/v1/traces'), logs: of('/v1/logs') };
}

/** An HTTP proxy in front of the collector that holds every answer for `delayMs`. */
interface SlowProxy {
  readonly url: string;
  /** Requests received, and answered (each after the delay). */
  readonly received: number;
  readonly answered: number;
  close(): Promise<void>;
}

async function startSlowProxy(target: string, delayMs: number): Promise<SlowProxy> {
  let received = 0;
  let answered = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    received++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        let status = 502;
        let body: Buffer = Buffer.alloc(0);
        let type = 'text/plain';
        try {
          const upstream = await fetch(new URL(req.url ?? '/', target), {
            method: req.method,
            headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
            body: Buffer.concat(chunks),
          });
          status = upstream.status;
          type = upstream.headers.get('content-type') ?? type;
          body = Buffer.from(await upstream.arrayBuffer());
        } catch {
          // 502: the collector could not be reached
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          answered++;
          res.writeHead(status, { 'content-type': type });
          res.end(body);
        }, delayMs);
        timers.add(timer);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    url: `http://${LOOPBACK}:${address.port}`,
    get received() {
      return received;
    },
    get answered() {
      return answered;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('outages: nothing lost, requests unaffected (real collector and Jaeger)', () => {
  let stack: JaegerStack | undefined;
  let proxy: SlowProxy | undefined;
  const started: SessionApps[] = [];
  const stackPids: number[] = [];
  let journalDir = '';

  before(async () => {
    stack = await startJaegerStack();
    stackPids.push(...stack.pids());
    journalDir = mkdtempSync(join(tmpdir(), 'otel-sessions-outages-'));
  });

  after(async () => {
    // Runs also when a test failed; every stop() is safe to repeat.
    await Promise.all(started.map((apps) => apps.stop(2000)));
    await proxy?.close();
    await stack?.stop();
    if (journalDir) rmSync(journalDir, { recursive: true, force: true });
    const pids = [...stackPids, ...started.flatMap((apps) => [apps.demo.pid, apps.echo.pid])];
    assert.deepEqual(pids.filter(isAlive), [], 'no process outlives the tests');
  });

  async function apps(endpoint: string, env: Record<string, string> = {}): Promise<SessionApps> {
    const running = await startAppsAt(endpoint, { OTEL_SESSIONS_JOURNAL_DIR: journalDir, ...env });
    started.push(running);
    // Warm-up (module loading, JIT), outside the measured load; these sessions are not checked.
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${running.demoUrl}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestType: 'warm-up', message: 'hello' }),
      });
      assert.equal(response.status, 200, await response.text());
    }
    return running;
  }

  test(
    'collector stopped for 30 s under steady load, then restarted: every span and log record arrives',
    { timeout: 150_000 },
    async () => {
      assert.ok(stack);
      const { demo, echo, demoUrl, stop } = await apps(stack.otlpHttpEndpoint);
      const load = startLoad(demoUrl, RATE, 'before');
      let rssBefore: number | undefined;
      let rssOutageEnd: number | undefined;
      try {
        await sleep(4000);
        rssBefore = rssMiB(demo.pid);
        load.setPhase('outage');
        await stack.stopCollector();
        const outageStart = Date.now();
        await sleep(30_000);
        rssOutageEnd = rssMiB(demo.pid);
        await stack.startCollector();
        console.log(`# collector down for ${((Date.now() - outageStart) / 1000).toFixed(1)} s`);
        load.setPhase('after');
        await sleep(3000);
      } finally {
        await load.stop();
        await stack.startCollector(); // a no-op unless the test failed while it was down
      }

      const sessions = assertAllAnswered(load.samples);
      const outageSessions = load.samples.filter((s) => s.phase === 'outage').map((s) => s.sessionId as string);
      assert.ok(
        outageSessions.length >= 30 * RATE * 0.8,
        `steady load during the outage: ${outageSessions.length} requests`,
      );
      assert.equal(new Set(sessions).size, sessions.length, 'one session per request');

      const before = latency(load.samples.filter((s) => s.phase === 'before'));
      const during = latency(load.samples.filter((s) => s.phase === 'outage'));
      console.log(`# latency before the outage: ${fmt(before)}`);
      console.log(`# latency during the outage: ${fmt(during)}`);
      assert.ok(during.p99 < P99_BOUND_MS, `p99 during the outage is ${during.p99.toFixed(1)} ms`);

      const waitStart = Date.now();
      const duplicates = await waitForWholeSessions(stack.queryUrl, sessions, 60_000);
      console.log(
        `# all ${sessions.length} sessions (${outageSessions.length} from the outage) whole in Jaeger ` +
          `${((Date.now() - waitStart) / 1000).toFixed(1)} s after the load stopped; duplicate spans: ${duplicates}`,
      );

      let logs = new Map<string, number>();
      const missingLogs = (): string[] => outageSessions.filter((id) => (logs.get(id) ?? 0) < LOGS_PER_SESSION);
      await waitUntil(
        () => {
          logs = logRecordsBySession(stack?.collectorOutput() ?? '');
          return missingLogs().length === 0;
        },
        { timeoutMs: 20_000, intervalMs: 500, what: 'the log records of the outage in the collector output' },
      ).catch((error: unknown) => {
        const missing = missingLogs();
        throw new Error(
          `${(error as Error).message}: ${missing.length} sessions short, e.g. ${missing.slice(0, 3).join(', ')}`,
          { cause: error },
        );
      });
      console.log(
        `# all ${outageSessions.length * LOGS_PER_SESSION} log records of the outage's sessions reached the collector`,
      );

      // The operator hears once per signal that the collector is gone, and once that it is back.
      for (const app of [demo, echo]) {
        const messages = outageMessages(app);
        assert.deepEqual(
          messages,
          { traces: { cannotReach: 1, answersAgain: 1, lost: 0 }, logs: { cannotReach: 1, answersAgain: 1, lost: 0 } },
          `${app.name}'s outage messages:\n${app
            .output()
            .split('\n')
            .filter((line) => line.includes('otel-sessions:'))
            .join('\n')}`,
        );
      }

      const rssAfter = rssMiB(demo.pid);
      const mib = (value: number | undefined): string => (value === undefined ? '?' : `${value.toFixed(1)} MiB`);
      console.log(
        `# demo-service VmRSS: ${mib(rssBefore)} before the outage, ${mib(rssOutageEnd)} at its end, ${mib(rssAfter)} after the replay ` +
          `(bound on what is kept: ${SPOOL_BOUND_MIB} MiB per signal, maxSpoolBytes)`,
      );

      await stop(5000);
      console.log(`# journal files after shutdown: ${journalFiles(journalDir).length} (nothing left unsent)`);
    },
  );

  test(
    'collector answering after 3 s: request latency stays low, every session arrives',
    { timeout: 90_000 },
    async () => {
      assert.ok(stack);
      proxy = await startSlowProxy(stack.otlpHttpEndpoint, 3000);
      const { demo, echo, demoUrl, stop } = await apps(proxy.url);
      const load = startLoad(demoUrl, RATE, 'slow');
      try {
        await sleep(8000);
      } finally {
        await load.stop();
      }
      const exportsDuringLoad = proxy.received;
      const sessions = assertAllAnswered(load.samples);
      const slow = latency(load.samples);
      console.log(
        `# latency with a collector answering after 3 s: ${fmt(slow)}; exports through the proxy during the load: ${exportsDuringLoad}`,
      );
      assert.ok(exportsDuringLoad >= 2, 'both apps exported through the slow proxy while under load');
      assert.ok(slow.p99 < P99_BOUND_MS, `p99 with a slow collector is ${slow.p99.toFixed(1)} ms`);

      const duplicates = await waitForWholeSessions(stack.queryUrl, sessions, 60_000);
      console.log(
        `# all ${sessions.length} sessions whole in Jaeger; proxy answered ${proxy.answered} exports; duplicate spans: ${duplicates}`,
      );
      for (const app of [demo, echo]) {
        assert.equal(count(app.output(), /cannot reach/g), 0, `${app.name}: a slow collector is not an outage`);
      }
      await stop(5000);
    },
  );

  test('SIGTERM under load: every session answered before the signal is in Jaeger', { timeout: 60_000 }, async () => {
    assert.ok(stack);
    const { demo, demoUrl } = await apps(stack.otlpHttpEndpoint);
    const load = startLoad(demoUrl, RATE, 'before-signal');
    let answeredBefore: string[] = [];
    let inFlightAtSignal = 0;
    try {
      // Shorter than the batch delay (5 s): what demo-service ended is still in its batch processor.
      await sleep(3000);
      // Requests in flight at the signal: a burst, given a moment to reach demo-service.
      load.burst(20);
      await sleep(5);
      answeredBefore = assertAllAnswered([...load.samples]);
      inFlightAtSignal = load.inFlight();
      process.kill(demo.pid, 'SIGTERM');
      load.setPhase('after-signal');
      await sleep(1000);
    } finally {
      await load.stop();
    }
    await waitUntil(() => demo.exitStatus() !== null, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'demo-service to exit',
    });
    assert.deepEqual(
      demo.exitStatus(),
      { code: null, signal: 'SIGTERM' },
      'demo-service ends by the signal once flushed',
    );
    assert.ok(answeredBefore.length >= 2 * RATE, `steady load before the signal: ${answeredBefore.length} requests`);

    const answeredLater = load.samples.filter(
      (s) => s.phase === 'before-signal' && s.status === 200 && !answeredBefore.includes(s.sessionId ?? ''),
    );
    console.log(
      `# ${answeredBefore.length} requests answered before SIGTERM, ${inFlightAtSignal} in flight at it ` +
        `(${answeredLater.length} of those answered after it; not asserted)`,
    );
    const duplicates = await waitForWholeSessions(stack.queryUrl, answeredBefore, 30_000);
    const inJaeger = await spansBySession(stack.queryUrl);
    const laterWhole = answeredLater.filter((s) => whole(inJaeger.get(s.sessionId ?? ''))).length;
    console.log(
      `# all ${answeredBefore.length} sessions answered before SIGTERM whole in Jaeger; duplicate spans: ${duplicates}; ` +
        `of the ${answeredLater.length} answered after it, ${laterWhole} whole too (not asserted)`,
    );
    assert.deepEqual(journalFiles(journalDir), [], 'with the collector up, nothing was left for the journal');
  });
});

/** The journal's own files in `dir` (the folder also holds the default thread store's SQLite file). */
function journalFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => JOURNAL_FILE_PATTERN.test(name));
}
