/**
 * ns per winston log record: plain winston (`format.json()`, no-op transport) against the
 * same logger with `sessionFormat()` first, inside a session and an active span.
 *
 *   node --import tsx bench/logs.ts          (or `npm run bench` for every benchmark)
 */
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { withSession } from '../src/session/context.js';
import { newSessionId, newThreadId } from '../src/session/ids.js';
import { sessionFormat } from '../src/logging/session-format.js';
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
    context.disable();
  }
}

runIfMain(import.meta.url, main);
