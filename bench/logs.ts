/**
 * ns per winston log record, inside a session and an active span, in two tables:
 *
 * 1. the format: plain winston (`format.json()`, no-op transport) against the same logger
 *    with `sessionFormat()` first, and against the four fields added by hand;
 * 2. logs through OpenTelemetry, against the field's own answer: `createLogger()` (and a plain
 *    winston logger with `sessionFormat()` and `OtelLogTransport`) against
 *    `@opentelemetry/instrumentation-winston` with log correlation and log sending on (its
 *    `@opentelemetry/winston-transport`), on the same winston (a second copy of the module, the
 *    one the instrumentation patched) with the same fields (`format.timestamp()`,
 *    `format.json()`, the same message and meta), each exporting through its own LoggerProvider
 *    and BatchLogRecordProcessor (batches of 128, as `registerSessions` sets) to a no-op
 *    exporter that counts what arrives: every record must arrive, or the bench fails. Each run
 *    of records shares one recording span (a request's server span), so the span events
 *    `OtelLogTransport` adds are paid for; the span itself goes nowhere.
 *
 *   node --import tsx bench/logs.ts          (or `npm run bench` for every benchmark)
 */
import {
  context,
  logs as otelLogs,
  trace,
  TraceFlags,
  type LoggerProvider as ApiLoggerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { WinstonInstrumentation } from '@opentelemetry/instrumentation-winston';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { createLogger } from '../src/logging/create-logger.js';
import { OtelLogTransport } from '../src/logging/otel-log-transport.js';
import { sessionFormat } from '../src/logging/session-format.js';
import { SessionLogRecordProcessor } from '../src/processors/session-log-record-processor.js';
import { SessionSpanProcessor } from '../src/processors/session-span-processor.js';
import { withSession } from '../src/session/context.js';
import { newSessionId, newThreadId } from '../src/session/ids.js';
import {
  BenchCheckError,
  fmt,
  interleave,
  medianOf,
  medianRatio,
  printTable,
  runIfMain,
  spread,
  verdict,
  type Variant,
} from './support/measure.js';

const ROUNDS = 15;
const PER_ROUND = 20_000;
const CHUNK = 500;

/** The serialized line that `format.json()` leaves on a record (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/** Receives records and drops them, counting; `delivered(n)` settles once n have arrived. */
class NoopTransport extends TransportStream {
  received = 0;
  last: Record<string | symbol, unknown> | undefined;
  private target = Infinity;
  private wake: (() => void) | undefined;

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.received++;
    this.last = info;
    if (this.received >= this.target && this.wake !== undefined) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
    next();
  }

  /** undefined if `count` records have already arrived, else a promise of their arrival. */
  delivered(count: number): Promise<void> | undefined {
    if (this.received >= count) return undefined;
    this.target = count;
    return new Promise((resolve) => (this.wake = resolve));
  }
}

interface Setup {
  name: string;
  logger: winston.Logger;
  transport: NoopTransport;
  /** The meta object of every call (winston copies it into a new record each time). */
  meta: Record<string, string>;
}

function setup(name: string, format: winston.Logform.Format, byHand: Record<string, string> = {}): Setup {
  const transport = new NoopTransport();
  const logger = winston.createLogger({ level: 'info', format, transports: [transport] });
  return { name, logger, transport, meta: { tool: 'search', ...byHand } };
}

/** Writes `n` records; settles when the transport has them all. */
function logs(s: Setup, n: number): Promise<void> | undefined {
  const { logger, transport, meta } = s;
  const target = transport.received + n;
  for (let i = 0; i < n; i++) logger.info('tool call finished', meta);
  return transport.delivered(target);
}

export async function main(): Promise<void> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager))
    throw new BenchCheckError('logs: a global context manager is already set');
  try {
    await formats();
    console.log();
    await throughOpenTelemetry();
  } finally {
    context.disable();
  }
}

/** Table 1: what `sessionFormat()` adds to a plain winston JSON logger. */
async function formats(): Promise<void> {
  const plain = setup('winston + format.json()', winston.format.json());
  const sessions = setup('+ sessionFormat()', winston.format.combine(sessionFormat(), winston.format.json()));
  const sessionId = newSessionId();
  const threadId = newThreadId();
  const spanContext = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
  };
  const floor = setup('floor: 4 fields by hand', winston.format.json(), {
    'session.id': sessionId,
    'session.thread_id': threadId,
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
  });
  const setups = [plain, sessions, floor];

  try {
    await withSession({ sessionId, threadId }, async () => {
      await context.with(trace.setSpanContext(context.active(), spanContext), async () => {
        for (const s of setups) {
          const expected = s.transport.received + 1;
          await (logs(s, 1) ?? Promise.resolve());
          if (s.transport.received !== expected)
            throw new BenchCheckError(`logs: ${s.name}: the record never reached the transport`);
        }
        const line = JSON.parse(String(sessions.transport.last?.[MESSAGE])) as Record<string, unknown>;
        if (
          line['session.id'] !== sessionId ||
          line['session.thread_id'] !== threadId ||
          line['trace_id'] !== spanContext.traceId
        ) {
          throw new BenchCheckError(
            `logs: records through sessionFormat() lack session.id/session.thread_id/trace_id: ${JSON.stringify(line)}`,
          );
        }

        const variants: Variant[] = setups.map((s) => ({ name: s.name, run: (n) => logs(s, n) }));
        const results = await interleave(variants, { rounds: ROUNDS, perRound: PER_ROUND, chunk: CHUNK });

        const ratio = medianRatio(results, sessions.name, plain.name);
        printTable(
          `logs (ns/record, median of ${ROUNDS} rounds × ${PER_ROUND}, winston format.json() + no-op transport)`,
          [
            { label: plain.name, ns: medianOf(results, plain.name) },
            { label: sessions.name, ns: medianOf(results, sessions.name), note: `ratio ${fmt(ratio)}` },
            {
              label: floor.name,
              ns: medianOf(results, floor.name),
              note: `ratio ${fmt(medianRatio(results, floor.name, plain.name))}`,
            },
          ],
        );
        const noise = Math.max(...setups.map((s) => spread(results, s.name)));
        console.log(
          `  sessionFormat/plain ${ratio.toFixed(3)} (${verdict(ratio, 1.2)}); sessionFormat/floor ${medianRatio(results, sessions.name, floor.name).toFixed(3)}`,
        );
        console.log(
          `  (the floor shows what serializing the 4 fields costs by itself); noise: widest round spread ${Math.round(noise * 100)}% of median`,
        );
      });
    });
  } finally {
    for (const s of setups) s.logger.close();
  }
}

/** Counts the log records exported to it, and keeps the last. */
class NoopLogExporter implements LogRecordExporter {
  exported = 0;
  last: ReadableLogRecord | undefined;
  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.exported += records.length;
    this.last = records[records.length - 1];
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Counts the records a transport has taken (its `logged` events); `delivered(n)` settles once n have. */
class Arrivals {
  count = 0;
  private target = Infinity;
  private wake: (() => void) | undefined;

  constructor(transport: TransportStream) {
    transport.on('logged', () => {
      this.count++;
      if (this.count >= this.target && this.wake !== undefined) {
        const wake = this.wake;
        this.wake = undefined;
        wake();
      }
    });
  }

  delivered(count: number): Promise<void> | undefined {
    if (this.count >= count) return undefined;
    this.target = count;
    return new Promise((resolve) => (this.wake = resolve));
  }
}

interface OtelSetup {
  name: string;
  logger: winston.Logger;
  arrivals: Arrivals;
  provider: LoggerProvider;
  exporter: NoopLogExporter;
}

/** A LoggerProvider exporting through a BatchLogRecordProcessor (batches of 128) to a counting no-op exporter. */
function loggerProvider(before: LogRecordProcessor[] = []): { provider: LoggerProvider; exporter: NoopLogExporter } {
  const exporter = new NoopLogExporter();
  const batch = new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 128, maxQueueSize: 65_536 });
  return { provider: new LoggerProvider({ processors: [...before, batch] }), exporter };
}

/** The one transport of `logger` that is an instance of `type`. */
function transportOf(logger: winston.Logger, type: abstract new (...args: never[]) => unknown): TransportStream {
  const found = logger.transports.filter((transport) => transport instanceof type);
  if (found.length !== 1)
    throw new BenchCheckError(`logs: expected one ${type.name} on a logger, found ${found.length}`);
  return found[0]!;
}

/** Table 2: `createLogger()` and `sessionFormat()` + `OtelLogTransport` against instrumentation-winston. */
async function throughOpenTelemetry(): Promise<void> {
  const require = createRequire(import.meta.url);
  const meta = { tool: 'search' };
  const message = 'tool call finished';

  // Ours: the global API LoggerProvider (what registerSessions sets), with the session log
  // record processor that registerSessions puts first.
  const ours = loggerProvider([new SessionLogRecordProcessor()]);
  if (!otelLogs.setGlobalLoggerProvider(ours.provider as ApiLoggerProvider))
    throw new BenchCheckError('logs: a global LoggerProvider is already set');
  const created = createLogger({ console: false });
  // Like for like: the field's answer adds no span events.
  const createdNoEvents = createLogger({ console: false, spanEvents: false });
  const plainWithFormat = winston.createLogger({
    level: 'info',
    format: winston.format.combine(sessionFormat(), winston.format.timestamp(), winston.format.json()),
    transports: [new OtelLogTransport()],
  });

  // Theirs: @opentelemetry/winston-transport 0.34 emits through @opentelemetry/api-logs 0.223's
  // own global, which no OTel JS 3.x SDK sets: left alone it exports nothing. Set it to its provider.
  const theirs = loggerProvider();
  const transportRequire = createRequire(require.resolve('@opentelemetry/winston-transport'));
  const legacyLogs = (
    transportRequire('@opentelemetry/api-logs') as { logs: { setGlobalLoggerProvider(provider: unknown): unknown } }
  ).logs;
  legacyLogs.setGlobalLoggerProvider(theirs.provider);
  // The instrumentation patches winston's Logger when its logger.js is loaded after the hook is
  // in place: a second copy of the same winston, loaded fresh, is patched; ours stays as it was.
  const instrumentation = new WinstonInstrumentation({ disableLogCorrelation: false, disableLogSending: false });
  instrumentation.enable();
  const winstonDir = dirname(require.resolve('winston/package.json')) + sep;
  for (const key of Object.keys(require.cache)) if (key.startsWith(winstonDir)) delete require.cache[key];
  const patchedWinston = require('winston') as typeof winston;
  if (patchedWinston === winston)
    throw new BenchCheckError('logs: winston was not loaded afresh for the instrumentation');
  const instrumented = patchedWinston.createLogger({
    level: 'info',
    format: patchedWinston.format.combine(patchedWinston.format.timestamp(), patchedWinston.format.json()),
    transports: [],
  });
  const isWrapped = (logger: winston.Logger): boolean => (logger.write as { __wrapped?: boolean }).__wrapped === true;
  if (!isWrapped(instrumented)) throw new BenchCheckError('logs: instrumentation-winston did not patch its winston');
  if (isWrapped(created) || isWrapped(createdNoEvents) || isWrapped(plainWithFormat))
    throw new BenchCheckError("logs: instrumentation-winston patched otel-sessions' winston too");
  const { OpenTelemetryTransportV3 } = require('@opentelemetry/winston-transport') as {
    OpenTelemetryTransportV3: abstract new (...args: never[]) => unknown;
  };

  const setups: OtelSetup[] = [
    {
      name: 'instrumentation-winston',
      logger: instrumented,
      arrivals: new Arrivals(transportOf(instrumented, OpenTelemetryTransportV3)),
      ...theirs,
    },
    {
      name: 'createLogger()',
      logger: created,
      arrivals: new Arrivals(transportOf(created, OtelLogTransport)),
      ...ours,
    },
    {
      name: 'createLogger({ spanEvents: false })',
      logger: createdNoEvents,
      arrivals: new Arrivals(transportOf(createdNoEvents, OtelLogTransport)),
      ...ours,
    },
    {
      name: 'winston + sessionFormat() + OtelLogTransport',
      logger: plainWithFormat,
      arrivals: new Arrivals(transportOf(plainWithFormat, OtelLogTransport)),
      ...ours,
    },
  ];
  const [field, createdSetup, noEventsSetup, formatSetup] = setups as [OtelSetup, OtelSetup, OtelSetup, OtelSetup];

  // The request's server span, as registerSessions' processors leave it: it carries the session's IDs.
  const tracer = new TracerProvider({ spanProcessors: [new SessionSpanProcessor()] }).getTracer('otel-sessions-bench');
  let traceId = '';
  /** Writes `n` records inside one recording span; settles when the transport has them all. */
  const write = (s: OtelSetup, n: number): Promise<void> | undefined => {
    const span = tracer.startSpan('POST /chat');
    traceId = span.spanContext().traceId;
    const target = s.arrivals.count + n;
    context.with(trace.setSpan(context.active(), span), () => {
      for (let i = 0; i < n; i++) s.logger.info(message, meta);
    });
    span.end();
    return s.arrivals.delivered(target);
  };
  const written = new Map<OtelSetup, number>(setups.map((s) => [s, 0]));
  const exported = (s: OtelSetup): number =>
    setups.filter((each) => each.exporter === s.exporter).reduce((sum, each) => sum + written.get(each)!, 0);

  try {
    await withSession({ sessionId: newSessionId(), threadId: newThreadId() }, async () => {
      for (const s of setups) {
        await (write(s, 1) ?? Promise.resolve());
        written.set(s, written.get(s)! + 1);
        await s.provider.forceFlush();
        const record = s.exporter.last;
        if (s.exporter.exported !== exported(s) || record?.spanContext?.traceId !== traceId)
          throw new BenchCheckError(
            `logs: ${s.name}: the record did not reach the exporter in its span (${s.exporter.exported} exported)`,
          );
        if (s !== field && typeof record.attributes['session.id'] !== 'string')
          throw new BenchCheckError(`logs: ${s.name}: the exported record has no session.id`);
      }

      const variants: Variant[] = setups.map((s) => ({
        name: s.name,
        run: (n) => {
          written.set(s, written.get(s)! + n);
          return write(s, n);
        },
      }));
      // CPU time: on a shared machine, elapsed time mostly measures the neighbours.
      const results = await interleave(variants, { rounds: ROUNDS, perRound: PER_ROUND, chunk: CHUNK, clock: 'cpu' });
      for (const s of setups) await s.provider.forceFlush();
      for (const s of setups)
        if (s.exporter.exported !== exported(s))
          throw new BenchCheckError(
            `logs: ${s.name}: ${exported(s)} records written, ${s.exporter.exported} reached the exporter`,
          );

      const ratio = (name: string): number => medianRatio(results, name, field.name);
      printTable(
        `logs through OpenTelemetry (CPU ns/record, median of ${ROUNDS} rounds × ${PER_ROUND}; timestamp + json formats, BatchLogRecordProcessor to a no-op exporter, ${CHUNK} records per recording span, in a session)`,
        setups.map((s) => ({
          label: s.name,
          ns: medianOf(results, s.name),
          note: s === field ? 'the field: log correlation + log sending' : `ratio ${fmt(ratio(s.name))}`,
        })),
      );
      const noise = Math.max(...setups.map((s) => spread(results, s.name)));
      console.log(
        `  createLogger()/instrumentation-winston ${ratio(createdSetup.name).toFixed(3)} (${verdict(ratio(createdSetup.name), 1.0)}); without span events ${ratio(noEventsSetup.name).toFixed(3)} (${verdict(ratio(noEventsSetup.name), 1.0)}); sessionFormat() + OtelLogTransport/instrumentation-winston ${ratio(formatSetup.name).toFixed(3)}`,
      );
      console.log(
        '  (createLogger() also adds each record as a span event, for Jaeger, which stores no logs; instrumentation-winston adds none)',
      );
      console.log(
        `  every record reached its exporter (${setups
          .map((s) => s.exporter.exported)
          .filter((n, i, all) => all.indexOf(n) === i)
          .join(' and ')}); noise: widest round spread ${Math.round(noise * 100)}% of median`,
      );
    });
  } finally {
    instrumentation.disable();
    for (const s of setups) s.logger.close();
    await Promise.all([ours.provider.shutdown(), theirs.provider.shutdown()]);
  }
}

runIfMain(import.meta.url, main);
