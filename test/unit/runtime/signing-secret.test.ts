import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { keptSecret, resolveSigningSecret } from '../../../src/runtime/signing-secret.js';

const root = mkdtempSync(join(tmpdir(), 'otel-sessions-secret-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('without OTEL_SESSIONS_SECRET: a secret is made once in the journal folder (owner only) and reused, with a warning', () => {
  const dir = join(root, 'journal');
  const warnings: string[] = [];
  const source = { configured: undefined, production: false, journalDir: dir, warn: (m: string) => warnings.push(m) };
  const first = resolveSigningSecret(source);
  assert.ok(first.length >= 32);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'secret')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, 'secret'), 'utf8').trim(), first);
  assert.equal(resolveSigningSecret(source), first, 'the next start reuses it');
  assert.equal(warnings.length, 2, 'one warning per start');
  assert.match(
    warnings[0] ?? '',
    /generated now and kept in .*secret.*other hosts need the same secret: set OTEL_SESSIONS_SECRET/,
  );
  assert.doesNotMatch(warnings[1] ?? '', /generated now/);
  assert.deepEqual(readdirSync(dir), ['secret'], 'nothing left aside');
});

test('OTEL_SESSIONS_SECRET wins; in production without it, a clear error names the variable and how to make one', () => {
  const dir = join(root, 'never-made');
  const warn = (): void => assert.fail('no warning with a configured secret');
  assert.equal(
    resolveSigningSecret({ configured: 's'.repeat(40), production: true, journalDir: dir, warn }),
    's'.repeat(40),
  );
  assert.throws(
    () => resolveSigningSecret({ configured: undefined, production: true, journalDir: dir, warn }),
    /OTEL_SESSIONS_SECRET is not set and NODE_ENV is production.*openssl rand -base64 48/,
  );
  assert.throws(() => statSync(dir), /ENOENT/, 'production writes no secret file');
});

test('a kept file without a usable secret is an error that says what to do', () => {
  const dir = join(root, 'broken');
  keptSecret(dir);
  writeFileSync(join(dir, 'secret'), 'short\n');
  assert.throws(() => keptSecret(dir), /does not hold a usable thread signing secret.*delete it/);
});

test('four processes starting at once end with the same secret', async () => {
  const dir = join(root, 'race');
  const script = `import { keptSecret } from ${JSON.stringify(new URL('../../../src/runtime/signing-secret.ts', import.meta.url).href)};
    process.stdout.write(keptSecret(${JSON.stringify(dir)}).secret);`;
  const run = promisify(execFile);
  const outputs = await Promise.all(
    Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])),
  );
  const secrets = new Set(outputs.map((output) => output.stdout));
  assert.equal(secrets.size, 1);
  assert.equal(readFileSync(join(dir, 'secret'), 'utf8').trim(), [...secrets][0]);
  assert.deepEqual(readdirSync(dir), ['secret']);
});
