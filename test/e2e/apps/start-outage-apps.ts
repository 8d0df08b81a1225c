/**
 * Starts demo-service.ts and echo-service.ts for outages.test.ts, like start-apps.ts does for
 * jaeger-sessions.test.ts, but exporting to any OTLP/HTTP endpoint (the collector tier, or a
 * proxy in front of it) with extra environment (the journal folder, batch settings).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePorts, isListening, LOOPBACK } from '../support/ports.js';
import { startProcess, type ManagedProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait.js';
import { DEMO_SERVICE, ECHO_SERVICE, type SessionApps } from './start-apps.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function startApp(
  service: string,
  file: string,
  port: number,
  env: Record<string, string>,
): Promise<ManagedProcess> {
  const app = startProcess({
    name: service,
    command: process.execPath,
    args: ['--import', 'otel-sessions/register', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))],
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
 * Starts echo-service, then demo-service calling it, both exporting to `endpoint` with `env`
 * added to their environment.
 */
export async function startAppsAt(endpoint: string, env: Record<string, string> = {}): Promise<SessionApps> {
  const common = {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SESSIONS_SECRET: randomBytes(32).toString('base64url'),
  };
  const [echoPort, demoPort] = (await freePorts(2)) as [number, number];
  const echo = await startApp(ECHO_SERVICE, './echo-service.ts', echoPort, common);
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
