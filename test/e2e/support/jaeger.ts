/**
 * A real Jaeger behind a real collector, on free loopback ports, for the end-to-end tests.
 *
 *   app ──OTLP/HTTP──> collector tier ──OTLP/gRPC──> Jaeger tier (memstore) <── query API
 *
 * Both tiers are the Jaeger v2 binary (an OpenTelemetry collector distribution) built by
 * `scripts/setup-jaeger.sh` into `.cache/bin/jaeger`:
 * - the Jaeger tier runs `test/e2e/support/jaeger-config.yaml` (OTLP in, in-memory storage,
 *   query API and UI);
 * - the collector tier runs the shipped `collector-config.yaml` itself, so that file is tested,
 *   not just written. Its logs pipeline ends in the `debug` exporter, whose output (every log
 *   record with its attributes) is readable through {@link JaegerStack.collectorOutput}.
 *
 * ```ts
 * const stack = await startJaegerStack();
 * after(() => stack.stop());
 * // point an app at stack.otlpHttpEndpoint, then:
 * const traces = await waitForTraces(stack.queryUrl, 'demo', { 'session.id': id });
 * ```
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startProcess, type ManagedProcess } from './processes.js';
import { freePorts, isListening, LOOPBACK } from './ports.js';
import { waitUntil } from './wait.js';

export {
  findTraces,
  getTrace,
  listServices,
  spanService,
  spanTag,
  waitForTraces,
  type FindTracesOptions,
  type JaegerKeyValue,
  type JaegerSpan,
  type JaegerTrace,
  type WaitForTracesOptions,
} from './jaeger-query.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The Jaeger binary: `$OTEL_SESSIONS_JAEGER_BIN`, else `.cache/bin/jaeger` in the repository. */
export const JAEGER_BINARY = process.env.OTEL_SESSIONS_JAEGER_BIN ?? `${repoRoot}.cache/bin/jaeger`;
/** The shipped collector configuration that the collector tier runs. */
export const COLLECTOR_CONFIG = `${repoRoot}collector-config.yaml`;
/** The Jaeger tier's configuration. */
export const JAEGER_CONFIG = fileURLToPath(new URL('./jaeger-config.yaml', import.meta.url));

/** A running Jaeger + collector pair. */
export interface JaegerStack {
  /** Where apps send OTLP/HTTP (the collector tier), e.g. `http://127.0.0.1:41234`. Paths `/v1/traces`, `/v1/logs`. */
  readonly otlpHttpEndpoint: string;
  /** The collector tier's OTLP/gRPC address, `http://127.0.0.1:port`. */
  readonly otlpGrpcEndpoint: string;
  /** Jaeger's own OTLP/HTTP receiver, bypassing the collector tier. */
  readonly jaegerOtlpHttpEndpoint: string;
  /** Base URL of Jaeger's query API and UI, for {@link findTraces} and {@link waitForTraces}. */
  readonly queryUrl: string;
  /**
   * Everything the collector tier printed since the stack started (across restarts),
   * including the debug exporter's dump of each log record, e.g. `-> session.id: Str(sess_…)`.
   */
  collectorOutput(): string;
  /** Everything the Jaeger tier printed. */
  jaegerOutput(): string;
  /** Process IDs of the tiers now running. */
  pids(): number[];
  /** Stops the collector tier only (Jaeger keeps its traces). */
  stopCollector(): Promise<void>;
  /** Starts the collector tier again on the same ports; resolves once it accepts OTLP. */
  startCollector(): Promise<void>;
  /** Stops both tiers; resolves once both processes have exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startJaegerStack}. */
export interface JaegerStackOptions {
  /** Jaeger's in-memory store keeps this many traces, evicting the oldest; default 100 000. */
  maxTraces?: number;
  /** How long each tier may take to become ready; default 30 000 ms. */
  startTimeoutMs?: number;
}

/** Waits until `ready()` holds, failing fast (with the process output) if the process ends. */
async function waitReady(child: ManagedProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  try {
    await waitUntil(
      async () => {
        if (child.exitStatus() !== null) throw new Error(`${child.name} exited: ${JSON.stringify(child.exitStatus())}`);
        return ready();
      },
      { timeoutMs, intervalMs: 100, what: `${child.name} to become ready` },
    );
  } catch (error) {
    await child.stop();
    throw new Error(`${(error as Error).message}\n--- ${child.name} output ---\n${child.output()}`, { cause: error });
  }
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts the Jaeger tier, then the collector tier forwarding to it, each on fresh loopback
 * ports, and resolves once both accept data. Register `stack.stop()` in an `after()` hook;
 * should a test skip that, the processes still end with the test process.
 * Throws if the Jaeger binary is missing (run `bash scripts/setup-jaeger.sh`).
 */
export async function startJaegerStack(options: JaegerStackOptions = {}): Promise<JaegerStack> {
  const { maxTraces = 100_000, startTimeoutMs = 30_000 } = options;
  if (!existsSync(JAEGER_BINARY)) {
    throw new Error(`Jaeger binary not found at ${JAEGER_BINARY}; build it with: bash scripts/setup-jaeger.sh`);
  }
  const [jaegerGrpc, jaegerHttp, queryHttp, queryGrpc, health, collectorGrpc, collectorHttp, collectorMetrics] =
    (await freePorts(8)) as [number, number, number, number, number, number, number, number];

  const jaeger = startProcess({
    name: 'jaeger',
    command: JAEGER_BINARY,
    args: ['--config', `file:${JAEGER_CONFIG}`],
    cwd: repoRoot,
    env: {
      JAEGER_OTLP_GRPC_PORT: String(jaegerGrpc),
      JAEGER_OTLP_HTTP_PORT: String(jaegerHttp),
      JAEGER_QUERY_HTTP_PORT: String(queryHttp),
      JAEGER_QUERY_GRPC_PORT: String(queryGrpc),
      JAEGER_HEALTH_PORT: String(health),
      JAEGER_MAX_TRACES: String(maxTraces),
    },
  });
  await waitReady(jaeger, () => isHealthy(`http://${LOOPBACK}:${health}/status`), startTimeoutMs);

  const collectorOutputs: ManagedProcess[] = [];
  let collector: ManagedProcess | undefined;

  async function startCollector(): Promise<void> {
    if (collector !== undefined && collector.exitStatus() === null) return;
    const started = startProcess({
      name: 'collector',
      command: JAEGER_BINARY,
      args: ['--config', `file:${COLLECTOR_CONFIG}`],
      cwd: repoRoot,
      env: {
        COLLECTOR_LISTEN_HOST: LOOPBACK,
        COLLECTOR_OTLP_GRPC_PORT: String(collectorGrpc),
        COLLECTOR_OTLP_HTTP_PORT: String(collectorHttp),
        COLLECTOR_METRICS_PORT: String(collectorMetrics),
        JAEGER_OTLP_ENDPOINT: `${LOOPBACK}:${jaegerGrpc}`,
      },
    });
    collector = started;
    collectorOutputs.push(started);
    // The receivers start last, once the pipelines behind them are built.
    await waitReady(
      started,
      async () => (await isListening(collectorHttp)) && (await isListening(collectorGrpc)),
      startTimeoutMs,
    );
  }

  async function stopCollector(): Promise<void> {
    await collector?.stop();
  }

  try {
    await startCollector();
  } catch (error) {
    await jaeger.stop();
    throw error;
  }

  return {
    otlpHttpEndpoint: `http://${LOOPBACK}:${collectorHttp}`,
    otlpGrpcEndpoint: `http://${LOOPBACK}:${collectorGrpc}`,
    jaegerOtlpHttpEndpoint: `http://${LOOPBACK}:${jaegerHttp}`,
    queryUrl: `http://${LOOPBACK}:${queryHttp}`,
    collectorOutput: () => collectorOutputs.map((child) => child.output()).join(''),
    jaegerOutput: () => jaeger.output(),
    pids: () => [jaeger, collector].flatMap((p) => (p !== undefined && p.exitStatus() === null ? [p.pid] : [])),
    stopCollector,
    startCollector,
    async stop() {
      await Promise.all([stopCollector(), jaeger.stop()]);
    },
  };
}
