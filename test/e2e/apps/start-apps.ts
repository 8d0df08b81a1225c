/**
 * Starts demo-service.ts and echo-service.ts as real processes registered with otel-sessions
 * (`node --import otel-sessions/register --import tsx …`: the register entry first, so http
 * is patched before the app loads), exporting to a Jaeger stack's collector tier or any
 * OTLP/HTTP endpoint. Used by the Jaeger, CLI and outage tests.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JaegerStack } from '../support/jaeger.js';
import { freePorts, isListening, LOOPBACK } from '../support/ports.js';
import { startProcess, type ManagedProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const DEMO_SERVICE = 'demo-service';
export const ECHO_SERVICE = 'echo-service';

/** The two running services. */
export interface SessionApps {
  demo: ManagedProcess;
  echo: ManagedProcess;
  /** Base URL of demo-service, e.g. `http://127.0.0.1:41234`. */
  demoUrl: string;
  /** Stops both (SIGTERM, then SIGKILL after `graceMs`); safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts one app file registered with otel-sessions on `port`, and waits until it listens. */
export async function startApp(
  service: string,
  file: string,
  port: number,
  env: Record<string, string>,
  register: readonly string[] = ['--import', 'otel-sessions/register', '--import', 'tsx'],
): Promise<ManagedProcess> {
  const app = startProcess({
    name: service,
    command: process.execPath,
    args: [...register, fileURLToPath(new URL(file, import.meta.url))],
    cwd: repoRoot, // where `otel-sessions` resolves to this package's dist/
    env: { ...env, PORT: String(port), OTEL_SERVICE_NAME: service },
  });
  try {
    await waitUntil(
      async () => {
        if (app.exitStatus() !== null) throw new Error(`${service} exited: ${JSON.stringify(app.exitStatus())}`);
        return isListening(port);
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `${service} to listen on port ${port}` },
    );
  } catch (error) {
    await app.stop(1000);
    throw new Error(`${(error as Error).message}\n--- ${service} output ---\n${app.output()}`, { cause: error });
  }
  return app;
}

/**
 * Starts echo-service (which trusts its callers' baggage), then demo-service (which trusts no
 * one) calling it; both export to `stack.otlpHttpEndpoint` and share one signing secret.
 */
export function startSessionApps(stack: JaegerStack): Promise<SessionApps> {
  return startAppsAt(stack.otlpHttpEndpoint);
}

/**
 * Starts echo-service, then demo-service calling it, both exporting to `endpoint` (the
 * collector tier, or a proxy in front of it) with `env` added to their environment.
 */
export async function startAppsAt(endpoint: string, env: Record<string, string> = {}): Promise<SessionApps> {
  const common = {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SESSIONS_SECRET: randomBytes(32).toString('base64url'),
  };
  const [echoPort, demoPort] = (await freePorts(2)) as [number, number];
  // Its own preload, whose edge trusts the callers' baggage.
  const echo = await startApp(ECHO_SERVICE, './echo-service.ts', echoPort, common, [
    '--import',
    'tsx',
    '--import',
    fileURLToPath(new URL('./echo-register.ts', import.meta.url)),
  ]);
  let demo: ManagedProcess;
  try {
    demo = await startApp(DEMO_SERVICE, './demo-service.ts', demoPort, {
      ...common,
      ECHO_URL: `http://${LOOPBACK}:${echoPort}`,
    });
  } catch (error) {
    await echo.stop(1000);
    throw error;
  }
  return {
    demo,
    echo,
    demoUrl: `http://${LOOPBACK}:${demoPort}`,
    async stop(graceMs = 5000) {
      await Promise.all([demo.stop(graceMs), echo.stop(graceMs)]);
    },
  };
}

/** A running process's resident memory (VmRSS), in MiB; undefined once it has ended. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
