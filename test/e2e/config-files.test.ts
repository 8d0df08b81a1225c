/**
 * Issue 16: the shipped configuration files, checked by their own tools, since no Docker engine
 * runs here. `docker-compose.yml` goes through the Compose specification's loader (compose-go,
 * the loader of `docker compose`, built by `scripts/setup-compose-check.sh` into
 * `.cache/bin/compose-check`) with schema validation, interpolation and path resolution, and
 * every host file it bind-mounts must exist; `collector-config.yaml` goes through the collector's
 * own `validate` subcommand (of the Jaeger v2 binary, a collector distribution). Each checker is
 * also shown to fail on a broken copy, so a pass means something. `jaeger-config.yaml` (issue 29)
 * is run by that binary: a session's trace sent to it is still there after a restart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { findTraces, spanTag } from './support/jaeger-query.js';
import { COLLECTOR_CONFIG, JAEGER_BINARY } from './support/jaeger.js';
import { freePorts, LOOPBACK } from './support/ports.js';
import { startProcess, type ManagedProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_CHECK = `${repoRoot}.cache/bin/compose-check`;
const COMPOSE_FILE = `${repoRoot}docker-compose.yml`;

/** Runs a checker; its environment has no COMPOSE_* or OTEL_* variables of this process. */
function run(command: string, args: string[], cwd: string): { code: number | null; output: string } {
  assert.ok(existsSync(command), `${command} is missing; build it with: bash scripts/test.sh (or its setup scripts)`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(COMPOSE_|OTEL_)/.test(key)));
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A temp folder holding a copy of docker-compose.yml, edited by `edit`, and what else `files` names. */
function composeCopy(edit: (text: string) => string, files: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
  writeFileSync(join(dir, 'docker-compose.yml'), edit(readFileSync(COMPOSE_FILE, 'utf8')));
  for (const file of files) copyFileSync(join(repoRoot, file), join(dir, file));
  return dir;
}

describe('docker-compose.yml, through the Compose specification loader', () => {
  it('loads, with the collector configuration it mounts present', () => {
    const { code, output } = run(COMPOSE_CHECK, ['docker-compose.yml'], repoRoot);
    assert.equal(code, 0, output);
    assert.match(output, /docker-compose\.yml is valid: services collector, demo, jaeger, jaeger-data-owner, redis;/);
    assert.match(output, /collector-config\.yaml:\/etc\/otelcol-contrib\/config\.yaml/);
    assert.match(output, /jaeger-config\.yaml:\/etc\/jaeger\/config\.yaml/);
  });

  it('rejects a copy whose bind-mounted collector-config.yaml is missing', () => {
    const dir = composeCopy((text) => text);
    const { code, output } = run(COMPOSE_CHECK, ['docker-compose.yml'], dir);
    assert.equal(code, 1, output);
    assert.match(output, /service "collector" mounts .*collector-config\.yaml, which does not exist/);
  });

  it('rejects a copy that breaks the Compose schema', () => {
    const dir = composeCopy(
      (text) => text.replace('    image: node:24-slim', '    imagee: node:24-slim'),
      ['collector-config.yaml', 'jaeger-config.yaml'],
    );
    const { code, output } = run(COMPOSE_CHECK, ['docker-compose.yml'], dir);
    assert.equal(code, 1, output);
    assert.match(output, /services\.demo\.imagee/);
  });

  it('rejects a copy that depends on a service it does not define', () => {
    const dir = composeCopy(
      (text) => text.replace(/- jaeger$/m, '- jaegr'),
      ['collector-config.yaml', 'jaeger-config.yaml'],
    );
    const { code, output } = run(COMPOSE_CHECK, ['docker-compose.yml'], dir);
    assert.equal(code, 1, output);
    assert.match(output, /depends on undefined service "jaegr"/);
  });
});

describe("collector-config.yaml, through the collector's own validate", () => {
  it('is valid', () => {
    const { code, output } = run(JAEGER_BINARY, ['validate', '--config', `file:${COLLECTOR_CONFIG}`], repoRoot);
    assert.equal(code, 0, output);
  });

  it('rejects a copy naming an exporter that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'collector-validate-'));
    const broken = join(dir, 'collector-config.yaml');
    writeFileSync(broken, readFileSync(COLLECTOR_CONFIG, 'utf8').replace('exporters: [debug]', 'exporters: [debugg]'));
    const { code, output } = run(JAEGER_BINARY, ['validate', '--config', `file:${broken}`], dir);
    assert.notEqual(code, 0, output);
    assert.match(output, /debugg/);
  });
});

describe('jaeger-config.yaml, run by the Jaeger v2 binary', () => {
  const JAEGER_CONFIG_FILE = `${repoRoot}jaeger-config.yaml`;
  const badgerDir = mkdtempSync(join(tmpdir(), 'jaeger-badger-'));
  const running: ManagedProcess[] = [];
  after(async () => {
    await Promise.all(running.map((child) => child.stop()));
  });

  it('is valid', () => {
    const { code, output } = run(JAEGER_BINARY, ['validate', '--config', `file:${JAEGER_CONFIG_FILE}`], repoRoot);
    assert.equal(code, 0, output);
  });

  it('keeps traces on disk: a session sent before a restart is found after it', async () => {
    const [otlpGrpc, otlpHttp, queryHttp, queryGrpc, health] = (await freePorts(5)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const start = async (): Promise<ManagedProcess> => {
      const jaeger = startProcess({
        name: 'jaeger-badger',
        command: JAEGER_BINARY,
        args: ['--config', `file:${JAEGER_CONFIG_FILE}`],
        cwd: repoRoot,
        env: {
          JAEGER_LISTEN_HOST: LOOPBACK,
          JAEGER_OTLP_GRPC_PORT: String(otlpGrpc),
          JAEGER_OTLP_HTTP_PORT: String(otlpHttp),
          JAEGER_QUERY_HTTP_PORT: String(queryHttp),
          JAEGER_QUERY_GRPC_PORT: String(queryGrpc),
          JAEGER_HEALTH_PORT: String(health),
          JAEGER_BADGER_DIR: badgerDir,
        },
      });
      running.push(jaeger);
      await waitUntil(
        async () => {
          if (jaeger.exitStatus() !== null) throw new Error(`jaeger exited:\n${jaeger.output()}`);
          const response = await fetch(`http://${LOOPBACK}:${health}/status`).catch(() => undefined);
          await response?.arrayBuffer();
          return response?.ok === true;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'Jaeger with Badger to become ready' },
      );
      return jaeger;
    };
    const queryUrl = `http://${LOOPBACK}:${queryHttp}`;
    const sessionId = `sess_badger${Date.now().toString(36)}`;
    const found = async (): Promise<boolean> => {
      const traces = await findTraces(queryUrl, 'badger-check', { 'session.id': sessionId }).catch(() => []);
      return traces.some((trace) => trace.spans.some((span) => spanTag(span, 'session.id') === sessionId));
    };

    const first = await start();
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = {
      traceId: randomHex(16),
      spanId: randomHex(8),
      name: 'POST /chat',
      kind: 2,
      startTimeUnixNano: String(now - 5_000_000n),
      endTimeUnixNano: String(now),
      attributes: [{ key: 'session.id', value: { stringValue: sessionId } }],
    };
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'badger-check' } }] },
          scopeSpans: [{ scope: { name: 'check' }, spans: [span] }],
        },
      ],
    };
    const sent = await fetch(`http://${LOOPBACK}:${otlpHttp}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(sent.status, 200, await sent.text());
    await waitUntil(found, { timeoutMs: 15_000, intervalMs: 200, what: 'the session in Jaeger' });

    await first.stop();
    await start();
    assert.equal(await found(), true, 'the session is still there after the restart');
  });
});

function randomHex(bytes: number): string {
  return Array.from({ length: bytes }, () =>
    Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
}
