/**
 * ns per span (start + end) with a BatchSpanProcessor and a no-op exporter, inside a
 * session, for four variants measured side by side:
 *   bare SDK; + otel-sessions processors; and, as the floor, the bare SDK given both
 *   attributes at startSpan (what any processor that writes two attributes costs at least).
 *
 *   node --import tsx bench/spans.ts          (or `npm run bench` for every benchmark)
 */
import { context, trace, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { getSessionScope, withSession } from '../src/session/context.js';
import { newSessionId, newThreadId } from '../src/session/ids.js';
import { SessionSpanProcessor } from '../src/processors/session-span-processor.js';
import { ThreadActivitySpanProcessor } from '../src/processors/thread-activity-span-processor.js';
import { MemoryThreadStore } from '../src/thread/memory-thread-store.js';
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
const PER_ROUND = 40_000;
/** Below the batch processor's queue (2048) with room to spare: nothing is dropped. */
const CHUNK = 500;

const ATTR_SESSION_ID = 'session.id';
const ATTR_SESSION_THREAD_ID = 'session.thread_id';

/** Accepts every batch at once and remembers only how many spans it saw, and the last one. */
class NoopExporter implements SpanExporter {
  exported = 0;
  last: ReadableSpan | undefined;
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exported += spans.length;
    this.last = spans[spans.length - 1];
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Setup {
  name: string;
  provider: TracerProvider;
  tracer: Tracer;
  exporter: NoopExporter;
  /** Attributes passed at startSpan (the floor only). */
  attributes: Attributes | undefined;
  /** Whether exported spans must carry both session attributes. */
  expectsAttributes: boolean;
}

function setup(name: string, before: SpanProcessor[], attributes?: Attributes): Setup {
  const exporter = new NoopExporter();
  const provider = new TracerProvider({ spanProcessors: [...before, new BatchSpanProcessor({ exporter })] });
  // Never the global API provider: each variant has its own, and only its own processors.
  const tracer = provider.getTracer('otel-sessions-bench');
  return {
    name,
    provider,
    tracer,
    exporter,
    attributes,
    expectsAttributes: before.length > 0 || attributes !== undefined,
  };
}

/** Starts and ends `n` spans whose parent is `ctx`. */
function spans(s: Setup, ctx: Context, n: number): void {
  const { tracer, attributes } = s;
  if (attributes === undefined) {
    for (let i = 0; i < n; i++) tracer.startSpan('op', undefined, ctx).end();
  } else {
    for (let i = 0; i < n; i++) tracer.startSpan('op', { attributes }, ctx).end();
  }
}

/** One span through `s`, exported, checked: it must have `ctx`'s span as parent and (if expected) both IDs. */
async function verify(s: Setup, ctx: Context, sessionId: string, threadId: string): Promise<void> {
  spans(s, ctx, 1);
  await s.provider.forceFlush();
  const span = s.exporter.last;
  const parent = trace.getSpanContext(ctx);
  if (span === undefined) throw new BenchCheckError(`spans: ${s.name}: no span reached the exporter`);
  if (span.parentSpanContext?.spanId !== parent?.spanId)
    throw new BenchCheckError(`spans: ${s.name}: span was not started under the session context`);
  const has = span.attributes[ATTR_SESSION_ID] === sessionId && span.attributes[ATTR_SESSION_THREAD_ID] === threadId;
  if (has !== s.expectsAttributes) {
    throw new BenchCheckError(
      `spans: ${s.name}: spans ${has ? 'carry' : 'lack'} session.id/session.thread_id (expected ${s.expectsAttributes ? 'both' : 'neither'})`,
    );
  }
}

export async function main(): Promise<void> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager))
    throw new BenchCheckError('spans: a global context manager is already set');
  const store = new MemoryThreadStore();
  const bare = setup('bare SDK', []);
  const sessions = setup('+ otel-sessions', [new SessionSpanProcessor(), new ThreadActivitySpanProcessor({ store })]);
  const sessionId = newSessionId();
  const threadId = newThreadId();
  const floor = setup('floor: attrs at startSpan', [], {
    [ATTR_SESSION_ID]: sessionId,
    [ATTR_SESSION_THREAD_ID]: threadId,
  });
  const setups = [bare, sessions, floor];

  try {
    await withSession({ sessionId, threadId }, async () => {
      // As in a request handler: the session's context, with the request's (sampled) span on it.
      const parent = bare.tracer.startSpan('request');
      const ctx = trace.setSpan(context.active(), parent);
      if (getSessionScope(ctx)?.sessionId !== sessionId)
        throw new BenchCheckError('spans: the context carries no session');
      for (const s of setups) await verify(s, ctx, sessionId, threadId);
      const before = setups.map((s) => s.exporter.exported);

      const variants: Variant[] = setups.map((s) => ({ name: s.name, run: (n) => spans(s, ctx, n) }));
      // CPU time: on a shared machine, elapsed time mostly measures the neighbours.
      const results = await interleave(variants, { rounds: ROUNDS, perRound: PER_ROUND, chunk: CHUNK, clock: 'cpu' });

      await Promise.all(setups.map((s) => s.provider.forceFlush()));
      const made = PER_ROUND * (ROUNDS + 2);
      const dropped = setups.filter((s, i) => s.exporter.exported - before[i]! !== made).map((s) => s.name);

      const ratio = (name: string) => medianRatio(results, name, bare.name);
      const bareNs = medianOf(results, bare.name);
      const noise = Math.max(...setups.map((s) => spread(results, s.name)));
      printTable(`spans (CPU ns/span, median of ${ROUNDS} rounds × ${PER_ROUND}, batch processor + no-op exporter)`, [
        { label: bare.name, ns: bareNs },
        { label: sessions.name, ns: medianOf(results, sessions.name), note: `ratio ${fmt(ratio(sessions.name))}` },
        { label: floor.name, ns: medianOf(results, floor.name), note: `ratio ${fmt(ratio(floor.name))}` },
      ]);
      const toFloor = medianRatio(results, sessions.name, floor.name);
      console.log(
        `  otel-sessions/bare ${ratio(sessions.name).toFixed(3)}; otel-sessions/floor ${toFloor.toFixed(3)}` +
          ` (${verdict(toFloor, 1.0)}: no dearer than passing both attributes at startSpan)`,
      );
      console.log(
        `  noise: widest round spread ${Math.round(noise * 100)}% of median` +
          (dropped.length > 0 ? `; WARNING: spans dropped in ${dropped.join(', ')}` : '; no spans dropped'),
      );
      parent.end();
    });
  } finally {
    await Promise.all(setups.map((s) => s.provider.shutdown()));
    await store.close();
    context.disable();
  }
}

runIfMain(import.meta.url, main);
