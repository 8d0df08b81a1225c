/**
 * A standalone `agent.run()` (a script or job, no server) in flight at SIGTERM: the process
 * lets it finish, its `waitUntil` work included, then exports, then ends by the signal. Its
 * spans and log records are read back from the journal, where a process without an OTLP
 * endpoint exports them through the same batch processors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { JournalSource } from '../../src/cli/sources/journal.js';
import { startProcess } from './support/processes.js';
import { waitUntil } from './support/wait.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const journalDir = mkdtempSync(join(tmpdir(), 'otel-sessions-standalone-'));
after(() => rmSync(journalDir, { recursive: true, force: true }));

test('a standalone agent.run in flight at SIGTERM finishes, and its spans and log records are exported', async () => {
  const job = startProcess({
    name: 'standalone-job',
    command: process.execPath,
    args: [
      '--import',
      'otel-sessions/register',
      '--import',
      'tsx',
      fileURLToPath(new URL('./apps/standalone-job.ts', import.meta.url)),
    ],
    cwd: repoRoot, // where `otel-sessions` resolves to this package's dist/
    env: {
      OTEL_SERVICE_NAME: 'standalone-job',
      OTEL_SESSIONS_JOURNAL_DIR: journalDir,
      OTEL_SESSIONS_LOG_CONSOLE: 'false',
      OTEL_SESSIONS_SECRET: 'standalone-secret-standalone-secret-0123',
    },
  });
  try {
    await waitUntil(() => /RUNNING sess_/.test(job.output()), {
      timeoutMs: 20_000,
      intervalMs: 20,
      what: 'the job to start',
    });
    const sessionId = /RUNNING (sess_\S+)/.exec(job.output())?.[1] ?? '';
    process.kill(job.pid, 'SIGTERM');
    await waitUntil(() => job.exitStatus() !== null, { timeoutMs: 15_000, intervalMs: 50, what: 'the job to exit' });
    assert.deepEqual(job.exitStatus(), { code: null, signal: 'SIGTERM' }, `ends by the signal\n${job.output()}`);
    assert.match(job.output(), new RegExp(`DONE ${sessionId}`), 'the job finished before the process ended');

    const journal = new JournalSource(journalDir);
    const spans = await journal.sessionSpans(sessionId);
    const names = spans.map((span) => span.name).sort();
    assert.deepEqual(names, ['agent.run NightlyJob', 'session NightlyJob'], JSON.stringify(names));
    const messages = (await journal.sessionLogs(sessionId)).map((log) => log.message).sort();
    assert.deepEqual(messages, ['Background work done', 'Job finished', 'Job started']);
  } finally {
    await job.stop(2000);
  }
});
