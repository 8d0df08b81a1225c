import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';
import { buildJournal, FAILING_SESSION, THREAD, UNKNOWN_SESSION, type JournalFixture } from './journal-fixture.js';
import { runCli } from './run-cli.js';

const ENTRY = fileURLToPath(new URL('./fixtures/cli-entry.ts', import.meta.url));
let fixture: JournalFixture;

before(async () => {
  fixture = await buildJournal();
});

/** Runs the CLI as its own process, stdout and stderr piped. */
function spawnCli(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    // Neither colour variable, not even empty: Node 22 warns on stderr when both are set.
    const { NO_COLOR: _noColor, FORCE_COLOR: _forceColor, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...argv], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('as a process', () => {
  it('does not colour when stdout is piped', async () => {
    const { code, out } = await spawnCli(['show', FAILING_SESSION, '--journal', fixture.dir]);
    assert.equal(code, 0);
    assert.match(out, /tool\.search/);
    assert.ok(!out.includes(`${String.fromCharCode(27)}[`));
  });

  it('exits with the code of a user error: one line on stderr, then where else to look', async () => {
    const malformed = await spawnCli(['logs', 'sess_x']);
    assert.equal(malformed.code, 2);
    assert.equal(malformed.err.split('\n').length, 2);
    const unknown = await spawnCli(['logs', UNKNOWN_SESSION, '--journal', fixture.dir]);
    assert.equal(unknown.code, 1);
    const [first, ...hint] = unknown.err.trimEnd().split('\n');
    assert.equal(first, `otel-sessions: no session ${UNKNOWN_SESSION} in ${fixture.dir}`);
    assert.ok(hint.some((line) => line.includes(`otel-sessions logs ${UNKNOWN_SESSION} --jaeger`)));
    assert.doesNotMatch(unknown.err, /\n\s+at /);
  });
});

describe('logs --follow', () => {
  it('prints records written after it started, until stopped', async () => {
    const controller = new AbortController();
    const running = runCli(['logs', FAILING_SESSION, '--follow', '--journal', fixture.dir], {
      signal: controller.signal,
    });

    // Another writer (as another process would) adds a record to the live session.
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'chat-api' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new JournalLogExporter({ dir: fixture.dir }) })],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    provider.getLogger('late').emit({
      timestamp: Date.now(),
      severityNumber: SeverityNumber.INFO,
      severityText: 'info',
      body: 'late arrival',
      attributes: { 'session.id': FAILING_SESSION, 'session.thread_id': THREAD, step: 4 },
    });
    provider.getLogger('late').emit({ body: 'someone else', attributes: { 'session.id': UNKNOWN_SESSION } });
    await provider.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 700));
    controller.abort();

    const { code, out } = await running;
    assert.equal(code, 0);
    const records = out.split('\n').filter((line) => /^\d{4}-/.test(line));
    assert.equal(records.length, 4);
    assert.match(records[3] ?? '', /info {3}late arrival +step=4$/);
    assert.doesNotMatch(out, /someone else/);
  });
});
