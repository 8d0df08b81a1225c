/**
 * A real Arize Phoenix (PyPI `arize-phoenix`, installed by `scripts/setup-phoenix.sh` into
 * `.cache/phoenix/venv`) on free loopback ports, with its own working folder, for the
 * conventions test: OTLP/HTTP traces in at `/v1/traces`, its GraphQL API read back.
 * Everything that would reach outside (telemetry, external resources, the assistant) is off.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, LOOPBACK } from './ports.js';
import { startProcess } from './processes.js';
import { waitUntil } from './wait.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The Phoenix command: `$OTEL_SESSIONS_PHOENIX_BIN`, else the venv of the setup script. */
export const PHOENIX_BINARY = process.env.OTEL_SESSIONS_PHOENIX_BIN ?? `${repoRoot}.cache/phoenix/venv/bin/phoenix`;

/** A running Phoenix. */
export interface Phoenix {
  /** Base URL: OTLP/HTTP at `${url}/v1/traces`, GraphQL at `${url}/graphql`. */
  readonly url: string;
  /** Runs a GraphQL query and returns its `data`; throws on errors. */
  graphql<T>(query: string): Promise<T>;
  /** What Phoenix wrote, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

export async function startPhoenix(): Promise<Phoenix> {
  if (!existsSync(PHOENIX_BINARY))
    throw new Error(`Phoenix not found at ${PHOENIX_BINARY}; install it with: bash scripts/setup-phoenix.sh`);
  const [port, grpcPort] = (await freePorts(2)) as [number, number];
  const workingDir = mkdtempSync(join(tmpdir(), 'otel-sessions-phoenix-'));
  const phoenix = startProcess({
    name: 'phoenix',
    command: PHOENIX_BINARY,
    args: ['serve'],
    env: {
      PHOENIX_WORKING_DIR: workingDir,
      PHOENIX_HOST: LOOPBACK,
      PHOENIX_PORT: String(port),
      PHOENIX_GRPC_PORT: String(grpcPort),
      PHOENIX_TELEMETRY_ENABLED: 'false',
      PHOENIX_ALLOW_EXTERNAL_RESOURCES: 'false',
      PHOENIX_DISABLE_AGENT_ASSISTANT: 'true',
      PHOENIX_ENABLE_MCP_SERVER: 'false',
    },
  });
  const url = `http://${LOOPBACK}:${port}`;
  try {
    await waitUntil(
      async () => {
        if (phoenix.exitStatus() !== null) throw new Error(`phoenix exited: ${phoenix.output().slice(-2000)}`);
        try {
          return (await fetch(`${url}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'Phoenix to answer /healthz' },
    );
  } catch (error) {
    await phoenix.stop(2000);
    throw error;
  }
  return {
    url,
    async graphql<T>(query: string): Promise<T> {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
      if (body.errors?.length) throw new Error(`Phoenix GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
      return body.data as T;
    },
    output: () => phoenix.output(),
    async stop() {
      await phoenix.stop(5000);
      rmSync(workingDir, { recursive: true, force: true });
    },
  };
}
