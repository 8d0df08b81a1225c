/**
 * The example service over loopback under autocannon, in three variants, each its own
 * child process started the same way (`node --import tsx bench/apps/<variant>.ts`):
 *   no telemetry          examples/app.ts (sessions middleware, MyAgent, its logging) with no
 *                         OpenTelemetry SDK: the API is a no-op;
 *   bare OTel             the same app under NodeSDK with http instrumentation only (its spans,
 *                         server and agent.run, exported; no session processors, no log export);
 *   OTel + otel-sessions  the same app under registerSessions (session processors, logs exported).
 * So the figures are the cost of the session telemetry on one app, not of the app's own work.
 * Both telemetry variants export OTLP/HTTP JSON to one sink process that answers 200 at once.
 * Every request is `POST /chat {"message":"hi"}` continuing one of a few threads (its
 * `x-thread-id`), so thread state is loaded and saved on every request.
 *
 *   node --import tsx bench/http-load.ts      (or `npm run bench` for every benchmark)
 */
import type { SinkCounts } from './apps/protocol.js';
import { Child, childEnv, withChildren } from './support/children.js';
import { load as runLoad, type Load } from './support/load.js';
import { BenchCheckError, fmt, median, medianRatio, runIfMain, verdict, type RoundResults } from './support/measure.js';

const ROUNDS = 5;
const DURATION_S = 6;
const WARMUP_S = 3;
const CONNECTIONS = 10;
/** Threads the requests cycle through (each connection walks them in turn). */
const THREADS = 8;
const BODY = JSON.stringify({ message: 'hi' });
const SECRET = 'bench-http-load-secret-0123456789abcdef';

const TARGET_RPS_RATIO = 0.95;
const TARGET_P99_RATIO = 1.1;

interface VariantSpec {
  readonly name: string;
  readonly script: string;
  /** The sink path segment of its exports, when it exports. */
  readonly sink?: string;
  /** Spans each request should produce at the sink. */
  readonly spansPerRequest?: number;
}

const NONE: VariantSpec = { name: 'no telemetry', script: 'no-telemetry.ts' };
const BARE: VariantSpec = { name: 'bare OTel', script: 'bare-otel.ts', sink: 'bare-otel', spansPerRequest: 2 };
const SESSIONS: VariantSpec = {
  name: 'OTel + otel-sessions',
  script: 'otel-sessions.ts',
  sink: 'otel-sessions',
  spansPerRequest: 2,
};
const VARIANTS = [NONE, BARE, SESSIONS] as const;

interface Server {
  spec: VariantSpec;
  child: Child;
  url: string;
  /** Signed thread tokens (or, in the plain service, thread IDs) the load cycles through. */
  tokens: string[];
  /** Every request it has answered, for spans per request. */
  requests: number;
}

/** Starts threads through the service and checks that it answers and keeps thread state. */
async function prime(server: Server): Promise<void> {
  const { spec, url } = server;
  for (let i = 0; i < THREADS; i++) {
    const response = await fetch(`${url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    const body = (await response.json()) as { reply?: string; turns?: number; sessionId?: string };
    const token = response.headers.get('x-thread-id');
    if (
      response.status !== 200 ||
      body.reply !== 'You said: hi' ||
      token === null ||
      !body.sessionId ||
      response.headers.get('x-session-id') !== body.sessionId
    )
      throw new BenchCheckError(
        `http-load: ${spec.name}: POST /chat answered ${response.status} ${JSON.stringify(body)}`,
      );
    server.tokens.push(token);
  }
  const again = await fetch(`${url}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-thread-id': server.tokens[0]! },
    body: BODY,
  });
  const body = (await again.json()) as { turns?: number };
  if (body.turns !== 2)
    throw new BenchCheckError(`http-load: ${spec.name}: a thread's second turn saw ${body.turns} messages, not 2`);
  server.requests += THREADS + 1;
}

/** Runs autocannon against `server` for `seconds`, each connection cycling through its threads. */
async function load(server: Server, seconds: number): Promise<Load> {
  const result = await runLoad(
    server.url,
    seconds,
    CONNECTIONS,
    server.tokens.map((token) => ({
      method: 'POST',
      path: '/chat',
      headers: { 'content-type': 'application/json', 'x-thread-id': token },
      body: BODY,
    })),
  );
  server.requests += result.responses;
  return result;
}

/** Exports what each telemetry variant has ended, and returns the sink's counts. */
async function sinkCounts(servers: readonly Server[], sink: Child): Promise<Record<string, SinkCounts>> {
  for (const server of servers) await server.child.flush();
  return sink.counts();
}

function checkExports(counts: Record<string, SinkCounts>): void {
  const bare = counts[BARE.sink!];
  const sessions = counts[SESSIONS.sink!];
  if (!bare || bare.spans === 0)
    throw new BenchCheckError('http-load: bare OTel exported no spans: http is not instrumented');
  // (The app's middleware and log events put session IDs on some of bare OTel's spans too.)
  if (bare.logRecords !== 0) throw new BenchCheckError('http-load: bare OTel exported log records');
  if (!sessions || sessions.spans === 0) throw new BenchCheckError('http-load: otel-sessions exported no spans');
  if (sessions.sessionIds === 0) throw new BenchCheckError('http-load: otel-sessions spans lack session.id');
  if (sessions.logRecords === 0) throw new BenchCheckError('http-load: otel-sessions exported no log records');
  if (Object.keys(counts).some((key) => key !== BARE.sink && key !== SESSIONS.sink))
    throw new BenchCheckError(`http-load: the sink got exports from elsewhere: ${Object.keys(counts).join(', ')}`);
}

export async function main(): Promise<void> {
  await withChildren(run);
}

async function run(): Promise<void> {
  const env = childEnv({ OTEL_SESSIONS_LOG_CONSOLE: 'false', OTEL_SESSIONS_SECRET: SECRET });

  const sink = await Child.start('otlp sink', 'otlp-sink.ts', { env });
  const sinkUrl = `http://127.0.0.1:${sink.port}`;
  const servers: Server[] = [];
  try {
    for (const spec of VARIANTS) {
      const child = await Child.start(spec.name, spec.script, {
        // OTLP/JSON in both telemetry variants, as the bare one's exporter posts it.
        env: spec.sink ? { ...env, BENCH_SINK_URL: sinkUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : env,
      });
      servers.push({ spec, child, url: `http://127.0.0.1:${child.port}`, tokens: [], requests: 0 });
    }
    for (const server of servers) await prime(server);

    // Untimed: JIT, thread store and exporters settle; then check what reached the sink.
    for (const server of servers) await load(server, WARMUP_S);
    checkExports(await sinkCounts(servers.slice(1), sink));

    const rps: RoundResults = new Map(VARIANTS.map((v) => [v.name, []]));
    const p99: RoundResults = new Map(VARIANTS.map((v) => [v.name, []]));
    let non2xx = 0;
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(i + round) % servers.length]!;
        const result = await load(server, DURATION_S);
        rps.get(server.spec.name)!.push(result.rps);
        p99.get(server.spec.name)!.push(result.p99);
        non2xx += result.non2xx;
        errors += result.errors;
      }
    }
    const counts = await sinkCounts(servers.slice(1), sink);

    console.log(
      `http-load: POST /chat over loopback, autocannon ${CONNECTIONS} connections × ${DURATION_S} s per variant per round, ${ROUNDS} interleaved rounds (medians); requests cycle through ${THREADS} threads each`,
    );
    const width = Math.max(...VARIANTS.map((v) => v.name.length)) + 2;
    console.log(`  ${''.padEnd(width)}${'req/s'.padStart(8)}${'p99 ms'.padStart(9)}   spans/request`);
    for (const server of servers) {
      const { name, sink: path } = server.spec;
      const exported = path ? (counts[path]?.spans ?? 0) : undefined;
      const perRequest = exported === undefined ? '-' : fmt(exported / server.requests);
      console.log(
        `  ${name.padEnd(width)}${Math.round(median(rps.get(name)!))
          .toString()
          .padStart(8)}${fmt(median(p99.get(name)!)).padStart(9)}   ${perRequest}`,
      );
    }
    const rpsRatio = medianRatio(rps, SESSIONS.name, BARE.name);
    const p99Ratio = medianRatio(p99, SESSIONS.name, BARE.name);
    console.log(
      `  otel-sessions / bare OTel   req/s ${fmt(rpsRatio)}   target ≥ ${TARGET_RPS_RATIO}: ${rpsRatio >= TARGET_RPS_RATIO ? 'met' : 'MISSED'}`,
    );
    console.log(`  otel-sessions / bare OTel   p99   ${fmt(p99Ratio)}   ${verdict(p99Ratio, TARGET_P99_RATIO)}`);
    console.log(
      `  bare OTel / no telemetry    req/s ${fmt(medianRatio(rps, BARE.name, NONE.name))}   p99 ${fmt(medianRatio(p99, BARE.name, NONE.name))}   (reference)`,
    );
    const spreadOf = (name: string): string => {
      const values = rps.get(name)!;
      return `${Math.round(((Math.max(...values) - Math.min(...values)) / median(values)) * 100)} %`;
    };
    console.log(`  req/s spread over rounds: ${VARIANTS.map((v) => `${v.name} ${spreadOf(v.name)}`).join(', ')}`);
    console.log(`  non-2xx responses: ${non2xx}, errors and timeouts: ${errors}`);
    for (const server of servers.slice(1)) {
      const exported = counts[server.spec.sink!]?.spans ?? 0;
      if (exported < server.requests * server.spec.spansPerRequest! * 0.98)
        console.log(
          `  warning: ${server.spec.name} exported ${exported} spans for ${server.requests} requests: spans were dropped, export cost is not equal`,
        );
    }
    if (non2xx > 0 || errors > 0)
      throw new BenchCheckError(`http-load: ${non2xx} non-2xx responses and ${errors} errors/timeouts under load`);
  } finally {
    await Promise.allSettled([...servers.map((server) => server.child.stop()), sink.stop()]);
  }
}

runIfMain(import.meta.url, main);
