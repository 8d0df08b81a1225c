/**
 * Starts flaky-service.ts as a real process registered with otel-sessions, exporting to a
 * Jaeger stack's collector tier, the way start-apps.ts starts demo-service. Used by
 * cli-jaeger.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { JaegerStack } from '../support/jaeger.js';
import { freePorts, isListening, LOOPBACK } from '../support/ports.js';
import { startProcess, type ManagedProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const FLAKY_SERVICE = 'flaky-service';
/** The message of the error flaky-service's agent throws when asked to fail. */
export const FLAKY_ERROR = 'flaky-agent: upstream exploded';

/** The running flaky-service. */
export interface FlakyApp {
  process: ManagedProcess;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** SIGTERM, then SIGKILL after `graceMs`; safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
}

export async function startFlakyApp(stack: JaegerStack): Promise<FlakyApp> {
  const [port] = (await freePorts(1)) as [number];
  const app = startProcess({
    name: FLAKY_SERVICE,
    command: process.execPath,
    args: [
      '--import',
      'otel-sessions/register',
      '--import',
      'tsx',
      fileURLToPath(new URL('./flaky-service.ts', import.meta.url)),
    ],
    cwd: repoRoot, // where `otel-sessions` resolves to this package's dist/
    env: {
      PORT: String(port),
      OTEL_SERVICE_NAME: FLAKY_SERVICE,
      OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint,
      OTEL_SESSIONS_SECRET: randomBytes(32).toString('base64url'),
    },
  });
  try {
    await waitUntil(
      async () => {
        if (app.exitStatus() !== null) throw new Error(`${FLAKY_SERVICE} exited: ${JSON.stringify(app.exitStatus())}`);
        return isListening(port);
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `${FLAKY_SERVICE} to listen on port ${port}` },
    );
  } catch (error) {
    await app.stop(1000);
    throw new Error(`${(error as Error).message}\n--- ${FLAKY_SERVICE} output ---\n${app.output()}`, { cause: error });
  }
  return { process: app, url: `http://${LOOPBACK}:${port}`, stop: (graceMs = 5000) => app.stop(graceMs) };
}
