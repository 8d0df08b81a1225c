/**
 * Starts flaky-service.ts as a real process registered with otel-sessions, exporting to a
 * Jaeger stack's collector tier, the way start-apps.ts starts demo-service. Used by
 * cli-jaeger.test.ts.
 */
import { randomBytes } from 'node:crypto';
import type { JaegerStack } from '../support/jaeger.js';
import { freePorts, LOOPBACK } from '../support/ports.js';
import type { ManagedProcess } from '../support/processes.js';
import { startApp } from './start-apps.js';

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
  const app = await startApp(FLAKY_SERVICE, './flaky-service.ts', port, {
    OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlpHttpEndpoint,
    OTEL_SESSIONS_SECRET: randomBytes(32).toString('base64url'),
  });
  return { process: app, url: `http://${LOOPBACK}:${port}`, stop: (graceMs = 5000) => app.stop(graceMs) };
}
