/**
 * The adopter's benchmark (issue 15): what adding otel-sessions costs a small Hono service,
 * against what its user runs today. One route, `POST /chat {"message":"hi"}`: read the JSON
 * body, two winston log lines, a JSON answer; served by @hono/node-server, each variant its
 * own child process (bench/apps/adopter-*.ts):
 *   (a) bare NodeSDK   http instrumentation, BatchSpanProcessor + the official
 *                      OTLPTraceExporter (OTLP/JSON) to the sink; winston
 *                      combine(timestamp(), json()) to stdout; no otel-sessions;
 *   (b) + sessions     `--import otel-sessions/register` (endpoint: the sink, from the
 *                      environment), `app.use(sessions())`, the route logs with `c.var.logger`;
 *   (c) guide's shape  as (b), the work in a `createAgent` handler that pushes the message
 *                      onto thread state and logs twice with `ctx.logger`; the route calls
 *                      `agent.run(input)`;
 *   (e-a), (e-b)       the route of (a) and (b) on Express 5 (`express.json()`), bare and
 *                      under the register flag with `expressSessions()`.
 * Each variant runs twice (issue 27): its stdout to /dev/null (the lean baseline: no reader on
 * the machine's two cores), and a pipe that this process reads and discards (counting the
 * bytes), as a container runtime's log collector would; ADOPTER_STDOUT=null (or pipe) runs one;
 * ADOPTER_NODE_FLAGS gives every variant more Node options (as `--no-allocation-site-pretenuring`).
 * All export to one OTLP/HTTP sink process
 * (bench/apps/otlp-sink.ts) that answers 200 at once and counts what arrived, so a variant that
 * exports nothing cannot look fast: spans and log records per request are printed and checked.
 *
 * Clients: autocannon, 10 connections, of two kinds, each its own timed run. Tokenless
 * clients never send a token back (API clients that keep no cookies: every request starts a
 * thread). Continuing clients: each connection behaves like a browser holding a
 * conversation of TURNS turns: it keeps the thread cookie (`otel_sessions_thread`) from each
 * response's Set-Cookie and sends it back as `Cookie` on the next request; after TURNS turns
 * it starts a new conversation without a cookie (autocannon clears a connection's context when
 * it wraps around its request list). Variant (a) sets no cookie, so it gets none back. In (b)
 * and (c) the thread continues; a response sets the cookie only for a new thread (or a token
 * signed again, once a minute), so a turn whose answer sets none, or the same, continued it.
 *
 * Per variant and round: req/s, p99 (from every response's time), and the server process's
 * CPU µs per request: `process.cpuUsage()` deltas reported by the child over IPC around the
 * load and the flush of its telemetry that follows (so the export work a round caused is
 * counted in it, not in the next variant's round), divided by the requests it served, and the
 * µs that adds over the baseline's ((a), or (e-a) for the Express pair, in the same setting).
 * ROUNDS (ADOPTER_ROUNDS, 4 unless set) interleaved rounds (a, b, c, a, b, c, …) after a
 * warm-up; medians, and the per-round ratios' medians against the baseline with the issue's
 * targets, per setting and kind of client.
 * ADOPTER_BREAKDOWN=1 adds variants of (b) with one part taken away each (span events, stdout
 * lines, log export, the `sessions()` middleware) to the rounds, to see what those parts cost,
 * (b) exporting to a collector that answers log records 404 (straight to Jaeger),
 * (a) with its route started a turn later, as a route behind `sessions()` starts, and (c) whose
 * agent leaves thread state alone.
 *
 *   node --import tsx bench/adopter.ts      (or `npm run bench` for every benchmark; needs `npm run build`)
 */
import type { SinkCounts } from './apps/protocol.js';
import { Child, childEnv, withChildren, type Usage } from './support/children.js';
import { load, type LoadRequest } from './support/load.js';
import { BenchCheckError, fmt, median, medianRatio, runIfMain, type RoundResults } from './support/measure.js';

const ROUNDS = Number(process.env.ADOPTER_ROUNDS ?? 4);
const DURATION_S = 5;
const WARMUP_S = 3;
const CONNECTIONS = 10;
/** Turns of each conversation a connection holds before it starts a new one. */
const TURNS = 20;
const BODY = JSON.stringify({ message: 'hi' });
const SECRET = 'bench-adopter-secret-0123456789abcdef';
const COOKIE = 'otel_sessions_thread';

/** The issue's targets (#27): in each setting, for tokenless and continuing clients alike. */
const TARGET_B_RPS = 0.8;
const TARGET_B_P99 = 1.3;
const TARGET_C_RPS = 0.7;
/** CPU µs per request that sessions may add to (b). */
const TARGET_B_ADDED_MICROS = 30;

interface VariantSpec {
  readonly label: string;
  readonly script: string;
  /** The sink path segment of its exports. */
  readonly sink: string;
  /** Whether it runs otel-sessions (started with the register entry, threads, session IDs). */
  readonly sessions: boolean;
  /** Whether its route runs under `sessions()` (answers with session headers, spans carry the IDs). @default sessions */
  readonly middleware?: boolean;
  /** Whether its threads continue from turn to turn (it runs `sessions()`). */
  readonly continuesThreads: boolean;
  /** Whether it writes its log lines to stdout. @default true */
  readonly stdoutLines?: boolean;
  /** More environment for its process (the breakdown's variants switch one part off). */
  readonly env?: Readonly<Record<string, string>>;
  /** Spans and log records each request should produce at the sink. */
  readonly spansPerRequest: number;
  readonly logRecordsPerRequest: number;
}

const A: VariantSpec = {
  label: '(a) bare NodeSDK + winston',
  script: 'adopter-bare.ts',
  sink: 'adopter-bare',
  sessions: false,
  continuesThreads: false,
  spansPerRequest: 1,
  logRecordsPerRequest: 0,
};
const B: VariantSpec = {
  label: '(b) + otel-sessions',
  script: 'adopter-sessions.ts',
  sink: 'adopter-sessions',
  sessions: true,
  continuesThreads: true,
  spansPerRequest: 1,
  logRecordsPerRequest: 2,
};
const C: VariantSpec = {
  label: '(c) guide: sessions + agent',
  script: 'adopter-agent.ts',
  sink: 'adopter-agent',
  sessions: true,
  continuesThreads: true,
  spansPerRequest: 2,
  logRecordsPerRequest: 2,
};
/**
 * The Express pair: the same route on Express 5 (`express.json()`, `res.json`), bare (as (a))
 * and under the register flag with `expressSessions()` (as (b)): what the HTTP edge costs a
 * framework that is not Hono.
 */
const EXPRESS_A: VariantSpec = {
  label: '(e-a) Express, bare NodeSDK',
  script: 'adopter-express-bare.ts',
  sink: 'adopter-express-bare',
  sessions: false,
  continuesThreads: false,
  spansPerRequest: 1,
  logRecordsPerRequest: 0,
};
const EXPRESS_B: VariantSpec = {
  label: '(e-b) Express + otel-sessions',
  script: 'adopter-express-sessions.ts',
  sink: 'adopter-express-sessions',
  sessions: true,
  continuesThreads: true,
  spansPerRequest: 1,
  logRecordsPerRequest: 2,
};
/**
 * With ADOPTER_BREAKDOWN=1, more variants say what parts of (b) cost: (b) with one part taken
 * away each, measured in the same interleaved rounds. Without `sessions()`, the route logs with
 * `createLogger()` (no session IDs, no thread), on the same register entry.
 */
const BREAKDOWN: VariantSpec[] = [
  {
    ...B,
    label: '(b) without span events',
    sink: 'adopter-no-events',
    env: { OTEL_SESSIONS_LOG_SPAN_EVENTS: 'false' },
  },
  {
    ...B,
    label: '(b) without stdout lines',
    sink: 'adopter-no-stdout',
    stdoutLines: false,
    env: { OTEL_SESSIONS_LOG_CONSOLE: 'false' },
  },
  {
    ...B,
    label: '(b) without log export',
    sink: 'adopter-no-log-export',
    logRecordsPerRequest: 0,
    env: { OTEL_LOGS_EXPORTER: 'none' },
  },
  {
    ...B,
    label: '(b) straight to Jaeger',
    // The sink answers this variant's log records 404, as Jaeger's OTLP receiver does.
    sink: 'adopter-traces-only',
    logRecordsPerRequest: 0,
  },
  {
    ...B,
    label: '(b) without sessions()',
    sink: 'adopter-no-middleware',
    middleware: false,
    continuesThreads: false,
    env: { BENCH_WITHOUT_MIDDLEWARE: '1' },
  },
];
/**
 * With ADOPTER_BREAKDOWN=1, also (a) with its route started one event-loop turn later (it
 * awaits `setImmediate` first): behind `sessions()`, a route starts after the turn's thread
 * lookups, and in this bench a route that starts a turn later costs less whatever it does.
 * (b) against it says what otel-sessions costs without that effect.
 */
const A_TURN_LATER: VariantSpec = {
  ...A,
  label: '(a) route a turn later',
  sink: 'adopter-bare-turn-later',
  env: { BENCH_SINK_SEGMENT: 'adopter-bare-turn-later', BENCH_ROUTE_TURN_LATER: '1' },
};
/**
 * With ADOPTER_BREAKDOWN=1, also (c) whose agent leaves thread state alone: against (c), what a
 * turn's push onto thread state and its save cost; against (b), what the agent and its span do.
 */
const C_STATELESS: VariantSpec = {
  ...C,
  label: '(c) without thread state',
  sink: 'adopter-agent-stateless',
  env: { BENCH_AGENT_STATELESS: '1' },
};
const VARIANTS: readonly VariantSpec[] =
  process.env.ADOPTER_BREAKDOWN === '1'
    ? [A, B, C, EXPRESS_A, EXPRESS_B, ...BREAKDOWN, A_TURN_LATER, C_STATELESS]
    : [A, B, C, EXPRESS_A, EXPRESS_B];
/** The variants whose figures have targets, against their baseline. */
const PAIRS: ReadonlyArray<{
  spec: VariantSpec;
  baseline: VariantSpec;
  rps: number;
  p99?: number;
  addedMicros?: number;
}> = [
  { spec: B, baseline: A, rps: TARGET_B_RPS, p99: TARGET_B_P99, addedMicros: TARGET_B_ADDED_MICROS },
  { spec: C, baseline: A, rps: TARGET_C_RPS },
  { spec: EXPRESS_B, baseline: EXPRESS_A, rps: TARGET_B_RPS, p99: TARGET_B_P99, addedMicros: TARGET_B_ADDED_MICROS },
];

/**
 * Where a server's stdout goes: /dev/null (no reader: the lean baseline, as a service whose
 * logs go to a file or journald) or a pipe this process reads on the same cores (as a
 * container runtime's log collector would; its cost lands on the baseline too).
 */
type StdoutMode = 'null' | 'pipe';
const STDOUT_MODES: readonly StdoutMode[] = (process.env.ADOPTER_STDOUT ?? 'null,pipe')
  .split(',')
  .map((mode) => (mode === 'pipe' ? 'pipe' : 'null'));
const STDOUT_LABEL: Record<StdoutMode, string> = { null: 'stdout to /dev/null', pipe: 'stdout a pipe read here' };

/**
 * How the clients behave: `continuing` ones send back the thread cookie they got (a browser
 * holding a conversation); `tokenless` ones never do (API clients that keep no cookies: every
 * request starts a thread).
 */
type Clients = 'continuing' | 'tokenless';

/** One variant's server process, with one stdout. */
interface Server {
  spec: VariantSpec;
  stdout: StdoutMode;
  child: Child;
  url: string;
}

/** What one timed run measures: a server under one kind of client. */
interface Slot {
  server: Server;
  clients: Clients;
  /** Key of its results. */
  key: string;
  requests: LoadRequest[];
  /** Turns that sent a thread cookie / whose answer continued its thread (set no new cookie). */
  continued: number;
  threaded: number;
}

const keyOf = (spec: VariantSpec, stdout: StdoutMode, clients: Clients): string =>
  `${spec.label} | ${stdout} | ${spec.continuesThreads ? clients : 'continuing'}`;

/** A variant's label up to its closing parenthesis: `(e-b)`. */
const short = (label: string): string => label.slice(0, label.indexOf(')') + 1);

/** The name=value part of the thread cookie a response sets, if any. */
function threadCookie(headers: Record<string, string | string[]>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'set-cookie') continue;
    for (const cookie of Array.isArray(value) ? value : [value])
      if (cookie.startsWith(`${COOKIE}=`)) return cookie.slice(0, cookie.indexOf(';') >>> 0);
  }
  return undefined;
}

/** The thread ID a `name=thrd_….<issued>.<signature>` cookie carries. */
const threadOf = (cookie: string): string => cookie.slice(COOKIE.length + 1).split('.')[0] ?? '';

/**
 * One connection's conversation: TURNS requests, each sending back the cookie the last
 * response set (continuing clients), or none (tokenless clients).
 */
export function conversation(
  server: Pick<Slot, 'continued' | 'threaded'>,
  clients: Clients = 'continuing',
): LoadRequest[] {
  if (clients === 'tokenless')
    return Array.from({ length: TURNS }, () => ({
      method: 'POST',
      path: '/chat',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    }));
  const turn: LoadRequest = {
    method: 'POST',
    path: '/chat',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    // A copy: autocannon shares request objects between connections.
    setupRequest: (request, context) =>
      typeof context.cookie === 'string'
        ? { ...request, headers: { ...request.headers, cookie: context.cookie } }
        : request,
    onResponse: (_status, _body, context, headers) => {
      const cookie = threadCookie(headers);
      if (typeof context.cookie === 'string') {
        server.threaded++;
        // A new thread would have come with a cookie of its own (a token signed again names the same thread).
        if (cookie === undefined || threadOf(cookie) === threadOf(context.cookie)) server.continued++;
      }
      if (cookie !== undefined) context.cookie = cookie;
    },
  };
  return Array.from({ length: TURNS }, () => turn);
}

/**
 * Three turns with fetch: checks the answer, and for (b)/(c) that the thread continues when the
 * cookie is sent back (whose answer sets no new one) and when the token is sent in `x-thread-id`
 * (whose answer gives it back).
 */
async function prime(server: Server): Promise<void> {
  const { url } = server;
  const spec = server.spec;
  const fail = (what: string): never => {
    throw new BenchCheckError(`adopter: ${spec.label}: ${what}`);
  };
  let token = '';
  for (let turn = 1; turn <= 3; turn++) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (turn === 2) headers.cookie = `${COOKIE}=${token}`;
    if (turn === 3) headers['x-thread-id'] = token;
    const response = await fetch(`${url}/chat`, { method: 'POST', headers, body: BODY });
    const body = (await response.json()) as { reply?: string; turns?: number };
    if (response.status !== 200 || body.reply !== 'You said: hi')
      fail(`POST /chat answered ${response.status} ${JSON.stringify(body)}`);
    if (spec.middleware === false || !spec.sessions) continue;
    if (!response.headers.get('x-session-id')?.startsWith('sess_')) fail(`turn ${turn}: no x-session-id`);
    const setCookie = response.headers.getSetCookie().find((value) => value.startsWith(`${COOKIE}=`));
    if (turn === 1) {
      token = response.headers.get('x-thread-id') ?? '';
      if (setCookie?.startsWith(`${COOKIE}=${token};`) !== true) fail('a new thread came without its cookie');
    } else if (setCookie !== undefined) {
      fail(`turn ${turn}, sending the thread back, got a new thread cookie`);
    }
    if (turn === 3 && response.headers.get('x-thread-id') !== token)
      fail('the token sent in x-thread-id did not come back: the thread did not continue');
    if (spec === C && body.turns !== turn) fail(`turn ${turn} saw ${body.turns} messages in thread state`);
  }
}

interface Measured {
  rps: number;
  p99: number;
  cpuPerRequest: number;
  non2xx: number;
  errors: number;
}

/** One load run: usage before, load, flush (its export work counted here), usage after. */
async function measure(slot: Slot, seconds: number): Promise<Measured> {
  const { child, url } = slot.server;
  const before: Usage = await child.usage();
  const result = await load(url, seconds, CONNECTIONS, slot.requests);
  await child.flush();
  const after: Usage = await child.usage();
  return {
    rps: result.rps,
    p99: result.p99,
    cpuPerRequest: (after.cpuMicros - before.cpuMicros) / Math.max(1, after.requests - before.requests),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

interface Telemetry {
  spans: number;
  logRecords: number;
  sessionIds: number;
  stdoutBytes: number;
}

/** What each variant exported per request served so far (every child flushed). */
async function telemetry(servers: readonly Server[], sink: Child): Promise<Map<Server, Telemetry>> {
  for (const server of servers) await server.child.flush();
  const counts = await sink.counts();
  const strays = Object.keys(counts).filter((key) => !servers.some((server) => sinkOf(server) === key));
  if (strays.length > 0)
    throw new BenchCheckError(`adopter: the sink got exports from elsewhere: ${strays.join(', ')}`);
  const result = new Map<Server, Telemetry>();
  for (const server of servers) {
    const { requests } = await server.child.usage();
    const got: SinkCounts = counts[sinkOf(server)] ?? { requests: 0, spans: 0, sessionIds: 0, logRecords: 0 };
    result.set(server, {
      spans: got.spans / requests,
      logRecords: got.logRecords / requests,
      sessionIds: got.sessionIds / requests,
      stdoutBytes: server.child.stdoutBytes / requests,
    });
  }
  return result;
}

/** Throws when a variant's telemetry did not arrive (or arrived where it should not). */
function checkTelemetry(found: Map<Server, Telemetry>): string[] {
  const warnings: string[] = [];
  for (const [{ spec, stdout }, got] of found) {
    const short = (what: string, have: number, want: number): void => {
      if (have < want * 0.9)
        throw new BenchCheckError(`adopter: ${spec.label} exported ${fmt(have)} ${what} per request, not ${want}`);
      if (have < want * 0.98)
        warnings.push(`${spec.label} exported ${fmt(have)} ${what} per request, not ${want}: some were dropped`);
    };
    short('spans', got.spans, spec.spansPerRequest);
    short('log records', got.logRecords, spec.logRecordsPerRequest);
    if (spec.logRecordsPerRequest === 0 && got.logRecords > 0)
      throw new BenchCheckError(`adopter: ${spec.label} exported log records`);
    if (spec.sessions && spec.middleware !== false)
      short('session.id attributes', got.sessionIds, spec.spansPerRequest);
    if (stdout === 'pipe' && spec.stdoutLines !== false && got.stdoutBytes < 2 * 40)
      throw new BenchCheckError(`adopter: ${spec.label} wrote ${fmt(got.stdoutBytes)} bytes per request to stdout`);
  }
  return warnings;
}

/** The sink path segment of a server's exports: its variant's, and its stdout's. */
const sinkOf = (server: Pick<Server, 'spec' | 'stdout'>): string => `${server.spec.sink}-${server.stdout}`;

/** Node options every variant gets (ADOPTER_NODE_FLAGS, e.g. `--no-allocation-site-pretenuring`). */
const NODE_FLAGS = (process.env.ADOPTER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');

/**
 * How a variant's server process starts: the environment and Node options. Variants with
 * otel-sessions start with its register entry and export OTLP/JSON to `endpoint`, the wire
 * format (a)'s exporter posts; (a) gets the sink's URL for its own SDK.
 */
export function variantProcess(
  sessions: boolean,
  endpoint: string,
  sinkUrl: string,
): { env: NodeJS.ProcessEnv; execArgv: string[] } {
  if (!sessions) return { env: childEnv({ BENCH_SINK_URL: sinkUrl }), execArgv: [...NODE_FLAGS, '--import', 'tsx'] };
  return {
    env: childEnv({
      OTEL_SERVICE_NAME: 'bench-adopter',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SESSIONS_SECRET: SECRET,
    }),
    execArgv: [...NODE_FLAGS, '--import', import.meta.resolve('otel-sessions/register'), '--import', 'tsx'],
  };
}

export async function main(): Promise<void> {
  await withChildren(run);
}

async function run(): Promise<void> {
  const sink = await Child.start('otlp sink', 'otlp-sink.ts', { env: childEnv({}) });
  const sinkUrl = `http://127.0.0.1:${sink.port}`;
  const servers: Server[] = [];
  const slots: Slot[] = [];
  try {
    for (const stdout of STDOUT_MODES)
      for (const spec of VARIANTS) {
        // The breakdown's variants run in the first setting only, with continuing clients.
        if (!isMain(spec) && stdout !== STDOUT_MODES[0]) continue;
        const server = await startServer(spec, stdout, sinkUrl);
        servers.push(server);
        const kinds: Clients[] = spec.continuesThreads && isMain(spec) ? ['continuing', 'tokenless'] : ['continuing'];
        for (const clients of kinds) {
          const slot: Slot = {
            server,
            clients,
            key: keyOf(spec, stdout, clients),
            requests: [],
            continued: 0,
            threaded: 0,
          };
          slot.requests = conversation(slot, clients);
          slots.push(slot);
        }
      }
    for (const server of servers) await prime(server);

    // Untimed: JIT, thread store and exporters settle; then check what reached the sink.
    for (const slot of slots) await measure(slot, WARMUP_S);
    checkTelemetry(await telemetry(servers, sink));
    for (const slot of slots) slot.continued = slot.threaded = 0;

    const rps: RoundResults = new Map(slots.map((slot) => [slot.key, []]));
    const p99: RoundResults = new Map(slots.map((slot) => [slot.key, []]));
    const cpu: RoundResults = new Map(slots.map((slot) => [slot.key, []]));
    let non2xx = 0;
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const slot of slots) {
        const result = await measure(slot, DURATION_S);
        rps.get(slot.key)!.push(result.rps);
        p99.get(slot.key)!.push(result.p99);
        cpu.get(slot.key)!.push(result.cpuPerRequest);
        non2xx += result.non2xx;
        errors += result.errors;
      }
    }
    const found = await telemetry(servers, sink);
    const warnings = checkTelemetry(found);

    console.log(
      `adopter: POST /chat on Hono (@hono/node-server) and Express 5 over loopback, autocannon ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${DURATION_S} s after a ${WARMUP_S} s warm-up (medians); continuing clients send the thread cookie back (conversations of ${TURNS} turns), tokenless clients never do`,
    );
    const width = Math.max(...slots.map((slot) => rowLabel(slot).length)) + 2;
    for (const stdout of STDOUT_MODES) {
      console.log(`  ${STDOUT_LABEL[stdout]}:`);
      console.log(
        `    ${''.padEnd(width)}${'req/s'.padStart(7)}${'p99 ms'.padStart(8)}${'CPU µs/req'.padStart(12)}${'µs added'.padStart(10)}${'req/s ÷ base'.padStart(14)}${'p99 ÷ base'.padStart(12)}${'spans/req'.padStart(11)}${'logs/req'.padStart(10)}`,
      );
      for (const slot of slots.filter((each) => each.server.stdout === stdout)) {
        const base = baselineOf(slot.server.spec);
        const baseKey = keyOf(base, stdout, 'continuing');
        const got = found.get(slot.server)!;
        const same = slot.key === baseKey;
        const added = median(cpu.get(slot.key)!) - median(cpu.get(baseKey)!);
        console.log(
          `    ${rowLabel(slot).padEnd(width)}${Math.round(median(rps.get(slot.key)!))
            .toString()
            .padStart(7)}${fmt(median(p99.get(slot.key)!)).padStart(8)}${Math.round(median(cpu.get(slot.key)!))
            .toString()
            .padStart(
              12,
            )}${(same ? '' : `+${Math.round(added)}`).padStart(10)}${(same ? '' : fmt(medianRatio(rps, slot.key, baseKey))).padStart(14)}${(same ? '' : fmt(medianRatio(p99, slot.key, baseKey))).padStart(12)}${fmt(got.spans).padStart(11)}${fmt(got.logRecords).padStart(10)}`,
        );
      }
      for (const pair of PAIRS) {
        for (const clients of ['continuing', 'tokenless'] as const) {
          const key = keyOf(pair.spec, stdout, clients);
          const baseKey = keyOf(pair.baseline, stdout, 'continuing');
          if (!rps.has(key) || !rps.has(baseKey)) continue;
          const checks = [verdict('req/s', medianRatio(rps, key, baseKey), '≥', pair.rps)];
          if (pair.p99 !== undefined) checks.push(verdict('p99', medianRatio(p99, key, baseKey), '≤', pair.p99));
          if (pair.addedMicros !== undefined)
            checks.push(
              verdict('CPU µs added', median(cpu.get(key)!) - median(cpu.get(baseKey)!), '≤', pair.addedMicros, 0),
            );
          console.log(`    ${short(pair.spec.label)}/${short(pair.baseline.label)} ${clients}: ${checks.join('   ')}`);
        }
      }
    }
    const mainKey = (spec: VariantSpec): string => keyOf(spec, STDOUT_MODES[0]!, 'continuing');
    for (const spec of VARIANTS.filter((v) => !isMain(v)))
      console.log(
        `  ${spec.label}/(a)  req/s ${fmt(medianRatio(rps, mainKey(spec), mainKey(A)))}   CPU/req ${fmt(medianRatio(cpu, mainKey(spec), mainKey(A)))}`,
      );
    if (VARIANTS.includes(C_STATELESS)) {
      const of = (results: RoundResults, x: VariantSpec, y: VariantSpec): string =>
        fmt(medianRatio(results, mainKey(x), mainKey(y)));
      console.log(
        `  (c)/${C_STATELESS.label}  req/s ${of(rps, C, C_STATELESS)}   CPU/req ${of(cpu, C, C_STATELESS)};   ${C_STATELESS.label}/(b)  req/s ${of(rps, C_STATELESS, B)}   CPU/req ${of(cpu, C_STATELESS, B)}`,
      );
    }
    if (VARIANTS.includes(A_TURN_LATER)) {
      const against = (results: RoundResults): number => medianRatio(results, mainKey(B), mainKey(A_TURN_LATER));
      console.log(
        `  (b)/${A_TURN_LATER.label}  req/s ${fmt(against(rps))}   p99 ${fmt(against(p99))}   CPU/req ${fmt(against(cpu))}`,
      );
    }
    const spreadOf = (key: string): string => {
      const values = rps.get(key)!;
      return `${Math.round(((Math.max(...values) - Math.min(...values)) / median(values)) * 100)} %`;
    };
    console.log(
      `  req/s spread over rounds: ${slots.map((slot) => `${rowLabel(slot)} ${slot.server.stdout} ${spreadOf(slot.key)}`).join(', ')}`,
    );
    const threaded = slots.filter((slot) => slot.clients === 'continuing' && slot.server.spec.continuesThreads);
    console.log(
      `  threads continued (cookie sent back, same thread answered): ${threaded
        .map(
          (slot) =>
            `${short(slot.server.spec.label)} ${slot.server.stdout} ${Math.round((slot.continued / Math.max(1, slot.threaded)) * 100)} %`,
        )
        .join(', ')} of the turns that sent a thread cookie back (100 % expected)`,
    );
    const pipes = servers.filter((server) => server.stdout === 'pipe');
    if (pipes.length > 0)
      console.log(
        `  stdout bytes per request (pipe): ${pipes.map((server) => `${short(server.spec.label)} ${Math.round(found.get(server)!.stdoutBytes)}`).join(', ')}`,
      );
    console.log(`  non-2xx responses: ${non2xx}, errors and timeouts: ${errors}`);
    for (const warning of warnings) console.log(`  warning: ${warning}`);
    if (non2xx > 0 || errors > 0)
      throw new BenchCheckError(`adopter: ${non2xx} non-2xx responses and ${errors} errors/timeouts under load`);
    for (const slot of threaded)
      if (slot.continued < slot.threaded * 0.99)
        throw new BenchCheckError(`adopter: ${slot.key}: threads did not continue under load`);
  } finally {
    await Promise.allSettled([...servers.map((server) => server.child.stop()), sink.stop()]);
  }
}

/** Starts one variant's server with the given stdout. */
async function startServer(spec: VariantSpec, stdout: StdoutMode, sinkUrl: string): Promise<Server> {
  const sinkSegment = sinkOf({ spec, stdout });
  const { env, execArgv } = variantProcess(spec.sessions, `${sinkUrl}/${sinkSegment}`, sinkUrl);
  Object.assign(env, spec.env, { BENCH_SINK_SEGMENT: sinkSegment });
  const child = await Child.start(`${spec.label} (${stdout})`, spec.script, {
    env,
    execArgv,
    stdout: stdout === 'pipe' ? 'drain' : 'null',
  });
  return { spec, stdout, child, url: `http://127.0.0.1:${child.port}` };
}

/** Whether a variant is one of the main five (not the breakdown's). */
const isMain = (spec: VariantSpec): boolean => [A, B, C, EXPRESS_A, EXPRESS_B].includes(spec);

/** What a variant is measured against: (e-a) for the Express pair, else (a). */
const baselineOf = (spec: VariantSpec): VariantSpec => (spec === EXPRESS_A || spec === EXPRESS_B ? EXPRESS_A : A);

/** A row's label: the variant, and its clients when it keeps threads. */
const rowLabel = (slot: Slot): string =>
  slot.server.spec.continuesThreads && isMain(slot.server.spec)
    ? `${slot.server.spec.label}, ${slot.clients}`
    : slot.server.spec.label;

/** `what value (target op limit: met|MISSED)`. */
function verdict(what: string, value: number, op: '≥' | '≤', limit: number, digits = 2): string {
  const met = op === '≥' ? value >= limit : value <= limit;
  return `${what} ${digits === 0 ? Math.round(value) : fmt(value)} (target ${op} ${limit}: ${met ? 'met' : 'MISSED'})`;
}

runIfMain(import.meta.url, main);
