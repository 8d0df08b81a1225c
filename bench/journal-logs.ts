// Benchmark: `otel-sessions logs <one session>` on a journal of 100,000 sessions, written
// by the real journal exporters. Prints the time, and its ratio to just reading the
// journal's bytes (the floor any scan must pay).
import { ROOT_CONTEXT, trace, SeverityNumber } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { main as cli } from '../src/cli/main.js';
import { JournalLogExporter } from '../src/export/journal-log-exporter.js';
import { JournalSpanExporter } from '../src/export/journal-span-exporter.js';
import { newSessionId, newThreadId } from '../src/session/ids.js';

const SESSIONS = 100_000;
const RUNS = 5;

/** Builds the journal, times `logs` for one session, prints the figures. */
export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-bench-'));
  try {
    const built = performance.now();
    const target = await buildJournal(dir);
    const files = readdirSync(dir);
    const bytes = files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    console.log(
      `journal-logs: ${SESSIONS} sessions, ${files.length} files, ${(bytes / 2 ** 20).toFixed(0)} MiB, built in ${((performance.now() - built) / 1000).toFixed(1)} s`,
    );

    const logsTimes: number[] = [];
    const readTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      let out = '';
      const code = await cli(['logs', target, '--journal', dir], {
        stdout: { write: (text: string) => (out += text), isTTY: false },
        stderr: { write: () => true },
        env: {},
      });
      logsTimes.push(performance.now() - start);
      if (code !== 0 || !out.includes('step 2 of 2')) throw new Error(`logs failed (exit ${code})`);

      const readStart = performance.now();
      for (const name of readdirSync(dir)) readFileSync(join(dir, name));
      readTimes.push(performance.now() - readStart);
    }
    const logsMs = median(logsTimes);
    const readMs = median(readTimes);
    console.log(
      `journal-logs: logs for one session: ${logsMs.toFixed(0)} ms median of ${RUNS} (first ${logsTimes[0]?.toFixed(0)} ms); ` +
        `reading the journal raw: ${readMs.toFixed(0)} ms; ratio ${(logsMs / readMs).toFixed(2)}x`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes SESSIONS sessions (a root span, a child span, two log records each); returns one in the middle. */
async function buildJournal(dir: string): Promise<string> {
  const options = { dir, maxTotalBytes: 4 * 2 ** 30 };
  const resource = resourceFromAttributes({ 'service.name': 'bench' });
  const tracers = new TracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new JournalSpanExporter(options),
        maxQueueSize: 20_000,
        maxExportBatchSize: 512,
      }),
    ],
  });
  const loggers = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: new JournalLogExporter(options),
        maxQueueSize: 20_000,
        maxExportBatchSize: 512,
      }),
    ],
  });
  const tracer = tracers.getTracer('bench');
  const logger = loggers.getLogger('bench');
  let target = '';
  for (let i = 0; i < SESSIONS; i++) {
    const sessionId = newSessionId();
    if (i === SESSIONS / 2) target = sessionId;
    const ids = { 'session.id': sessionId, 'session.thread_id': newThreadId() };
    const root = tracer.startSpan('POST /chat', {
      attributes: { ...ids, 'http.method': 'POST', 'session.metadata.user': `user${i % 100}` },
    });
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    const child = tracer.startSpan('agent.run', { attributes: ids }, ctx);
    for (const step of [1, 2]) {
      logger.emit({
        severityNumber: SeverityNumber.INFO,
        severityText: 'info',
        body: `step ${step} of 2`,
        attributes: { ...ids, step, route: '/chat' },
        context: trace.setSpan(ROOT_CONTEXT, child),
      });
    }
    child.end();
    root.end();
    if (i % 5000 === 4999) await Promise.all([tracers.forceFlush(), loggers.forceFlush()]);
  }
  await Promise.all([tracers.shutdown(), loggers.shutdown()]);
  return target;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
