/**
 * Issue 16: the shipped configuration files, checked by their own tools, since no Docker engine
 * runs here. `docker-compose.yml` goes through the Compose specification's loader (compose-go,
 * the loader of `docker compose`, built by `scripts/setup-compose-check.sh` into
 * `.cache/bin/compose-check`) with schema validation, interpolation and path resolution, and
 * every host file it bind-mounts must exist; `collector-config.yaml` goes through the collector's
 * own `validate` subcommand (of the Jaeger v2 binary, a collector distribution). Each checker is
 * also shown to fail on a broken copy, so a pass means something.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { COLLECTOR_CONFIG, JAEGER_BINARY } from './support/jaeger.js';

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
    assert.match(output, /docker-compose\.yml is valid: services collector, demo, jaeger;/);
    assert.match(output, /collector-config\.yaml:\/etc\/otelcol-contrib\/config\.yaml/);
  });

  it('rejects a copy whose bind-mounted collector-config.yaml is missing', () => {
    const dir = composeCopy((text) => text);
    const { code, output } = run(COMPOSE_CHECK, ['docker-compose.yml'], dir);
    assert.equal(code, 1, output);
    assert.match(output, /service "collector" mounts .*collector-config\.yaml, which does not exist/);
  });

  it('rejects a copy that breaks the Compose schema', () => {
    const dir = composeCopy(
      (text) => text.replace('    image: node:20-slim', '    imagee: node:20-slim'),
      ['collector-config.yaml'],
    );
    const { code, output } = run(COMPOSE_CHECK, ['docker-compose.yml'], dir);
    assert.equal(code, 1, output);
    assert.match(output, /services\.demo\.imagee/);
  });

  it('rejects a copy that depends on a service it does not define', () => {
    const dir = composeCopy((text) => text.replace(/- jaeger$/m, '- jaegr'), ['collector-config.yaml']);
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
