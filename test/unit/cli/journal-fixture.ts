// Builds a journal with the real exporters: spans from a real TracerProvider, log records
// from a real LoggerProvider, both carrying session.id and session.thread_id.
import { ROOT_CONTEXT, SpanStatusCode, trace, type Span, SeverityNumber } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';
import { JournalSpanExporter } from '../../../src/export/journal-span-exporter.js';
import type { JournalOptions } from '../../../src/export/journal-writer.js';

/** A well-formed ID: the prefix, a word, and padding up to the 24-character body. */
const fixed = (prefix: string, word: string): string => prefix + word.padEnd(24, word.at(-1));

export const FAILING_SESSION = fixed('sess_', 'failingA');
export const OK_SESSION = fixed('sess_', 'okB');
export const WORKER_SESSION = fixed('sess_', 'workerC');
export const THREAD = fixed('thrd_', 'chatT');
export const OTHER_THREAD = fixed('thrd_', 'otherU');
export const UNKNOWN_SESSION = fixed('sess_', 'unknownZ');
export const UNKNOWN_THREAD = fixed('thrd_', 'unknownY');

/** The journal and the time its first session started. */
export interface JournalFixture {
  dir: string;
  /** Start of the failing session, ms since the epoch; the others start later. */
  base: number;
}

/** Writes sessions to a fresh journal folder (or `dir`) and returns where. */
export async function buildJournal(
  dir = mkdtempSync(join(tmpdir(), 'otel-sessions-cli-')),
  options: JournalOptions = {},
): Promise<JournalFixture> {
  const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000;
  const chat = providers('chat-api', { ...options, dir });
  const worker = providers('worker', { ...options, dir });

  // The failing session: POST /chat > agent.run > tool.search, which throws.
  {
    const ids = { 'session.id': FAILING_SESSION, 'session.thread_id': THREAD };
    const tracer = chat.tracers.getTracer('fixture');
    const root = tracer.startSpan('POST /chat', {
      startTime: base,
      attributes: { ...ids, 'http.method': 'POST', 'session.metadata.user': 'alice', 'session.metadata.plan': 'pro' },
    });
    const agent = tracer.startSpan('agent.run', { startTime: base + 10, attributes: ids }, under(root));
    const tool = tracer.startSpan(
      'tool.search',
      { startTime: base + 20, attributes: { ...ids, 'tool.name': 'search' } },
      under(agent),
    );
    tool.recordException(new Error('search backend down'), base + 40);
    tool.setStatus({ code: SpanStatusCode.ERROR, message: 'search backend down' });
    tool.end(base + 70);
    agent.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
    agent.end(base + 110);
    root.end(base + 120);
    const logger = chat.logs.getLogger('fixture');
    // Emitted out of order: the CLI sorts by time.
    logger.emit({
      timestamp: base + 45,
      severityNumber: SeverityNumber.ERROR,
      severityText: 'error',
      body: 'tool failed',
      attributes: { ...ids, tool: 'search' },
      context: under(tool),
    });
    logger.emit({
      timestamp: base + 5,
      severityNumber: SeverityNumber.INFO,
      severityText: 'info',
      body: 'chat request received',
      attributes: { ...ids, user: 'alice' },
      context: under(root),
    });
    logger.emit({
      timestamp: base + 30,
      severityNumber: SeverityNumber.WARN,
      severityText: 'warn',
      body: 'retrying search',
      attributes: { ...ids, attempt: 2 },
      context: under(tool),
    });
  }
  // A later session of the same thread that went well.
  {
    const ids = { 'session.id': OK_SESSION, 'session.thread_id': THREAD };
    const tracer = chat.tracers.getTracer('fixture');
    const root = tracer.startSpan('POST /chat', {
      startTime: base + 60_000,
      attributes: { ...ids, 'session.metadata.user': 'alice' },
    });
    root.setStatus({ code: SpanStatusCode.OK });
    root.end(base + 60_250);
    chat.logs.getLogger('fixture').emit({
      timestamp: base + 60_010,
      severityNumber: SeverityNumber.INFO,
      severityText: 'info',
      body: 'answered',
      attributes: { ...ids, tokens: 42 },
    });
  }
  // A session of another thread, in another service, later still.
  {
    const ids = { 'session.id': WORKER_SESSION, 'session.thread_id': OTHER_THREAD };
    const root = worker.tracers
      .getTracer('fixture')
      .startSpan('job.run', { startTime: base + 120_000, attributes: { ...ids, 'session.metadata.user': 'bob' } });
    root.end(base + 123_500);
  }
  await Promise.all([chat.tracers.shutdown(), chat.logs.shutdown(), worker.tracers.shutdown(), worker.logs.shutdown()]);
  return { dir, base };
}

function providers(service: string, options: JournalOptions): { tracers: TracerProvider; logs: LoggerProvider } {
  const resource = resourceFromAttributes({ 'service.name': service });
  return {
    tracers: new TracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor({ exporter: new JournalSpanExporter(options) })],
    }),
    logs: new LoggerProvider({
      resource,
      processors: [new SimpleLogRecordProcessor({ exporter: new JournalLogExporter(options) })],
    }),
  };
}

function under(span: Span) {
  return trace.setSpan(ROOT_CONTEXT, span);
}
