/**
 * CPU per exported span, for each OTLP protocol: the official exporter alone against the same
 * exporter behind otel-sessions' disk spool (each batch appended to a segment file, sent,
 * marked done; sent segments deleted),
 * measured side by side in one run, interleaved round by round; medians and the ratio.
 * The sink runs in another process (bench/apps/export-sink.ts), so only the exporting
 * process's CPU (user + system, `process.cpuUsage()`) is counted.
 *
 *   node --import tsx bench/export.ts          (or `npm run bench` for every benchmark)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { exportThrough } from '../src/export/export-through.js';
import { createOtlpSpanExporter, signalUrl } from '../src/export/otlp-exporters.js';
import { OTLP_PROTOCOLS, type OtlpProtocol } from '../src/export/otlp-protocol.js';
import { SpoolingSpanExporter } from '../src/export/spooling-span-exporter.js';
import { BenchCheckError, fmt, median, printTable, runIfMain, verdict } from './support/measure.js';

// A round of one variant is ~0.1 s of CPU; the many rounds are what makes the median of
// per-round ratios steady on a shared machine (the whole bench runs in ~15 s).
const ROUNDS = 61;
const WARMUP_ROUNDS = 4;
/** Batches per variant per round, of BATCH spans each (the batch size otel-sessions uses). */
const BATCHES = 30;
const BATCH = 128;
const TARGET = 1.2;

/** One batch of spans like a session's: server, agent and client spans with both IDs. */
function batchOfSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-export', 'service.instance.id': 'i-1' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  for (let i = 0; i < BATCH; i++) {
    const span = tracer.startSpan(i % 3 === 0 ? 'POST /chat' : i % 3 === 1 ? 'agent.run support' : 'GET', {
      attributes: {
        'session.id': 'sess_AAAAAAAAAAAAAAAAAAAAAAAA',
        'session.thread_id': 'thrd_BBBBBBBBBBBBBBBBBBBBBBBB',
        'http.request.method': 'POST',
        'http.route': '/chat',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
      },
    });
    if (i % 3 === 1) span.addEvent('log', { message: 'working on billing', level: 'info' });
    span.end();
  }
  return memory.getFinishedSpans();
}

interface Sink {
  httpPort: number;
  grpcPort: number;
  counts(): Promise<{ http: number; grpc: number; bytes: number }>;
  stop(): void;
}

async function startSink(): Promise<Sink> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./apps/export-sink.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ httpPort: number; grpcPort: number }>((resolve, reject) => {
    child.once('message', (message: { type: string; httpPort: number; grpcPort: number }) => resolve(message));
    child.once('exit', () => reject(new BenchCheckError('export: the sink exited before listening')));
  });
  return {
    ...ready,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (message: { counts: { http: number; grpc: number; bytes: number } }) =>
          resolve(message.counts),
        );
        child.send({ type: 'counts' });
      }),
    stop: () => child.kill(),
  };
}

interface ExportVariant {
  name: string;
  /** Exports BATCHES batches and resolves once the sink accepted all of them. */
  run(batch: ReadableSpan[]): Promise<void>;
  shutdown(): Promise<void>;
}

function alone(exporter: SpanExporter): ExportVariant {
  return {
    name: 'exporter alone',
    async run(batch) {
      // One export at a time, as the batch processor hands them over.
      for (let i = 0; i < BATCHES; i++) {
        const result = await exportThrough(exporter, batch);
        if (result.code !== ExportResultCode.SUCCESS)
          throw new BenchCheckError(`export failed: ${result.error?.message}`);
      }
    },
    shutdown: () => exporter.shutdown(),
  };
}

function spooled(exporter: SpoolingSpanExporter): ExportVariant {
  return {
    name: 'behind the disk spool',
    async run(batch) {
      for (let i = 0; i < BATCHES; i++) {
        exporter.export(batch, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) throw new BenchCheckError('the spool refused a batch');
        });
        // The batch processor's pace: the next batch comes after the event loop turned.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!(await exporter.whenSent(60_000))) throw new BenchCheckError('the spool did not send everything');
    },
    shutdown: () => exporter.shutdown(),
  };
}

/** CPU of this process, in ns, while `work` runs. */
async function cpuOf(work: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000;
}

export async function main(): Promise<void> {
  console.log(
    `export: CPU per exported span (ns, user + system of the exporting process), batches of ${BATCH}, ` +
      `${BATCHES} batches per variant per round, ${ROUNDS} rounds interleaved; sink in another process`,
  );
  const sink = await startSink();
  const spoolRoot = mkdtempSync(join(tmpdir(), 'otel-sessions-bench-export-'));
  const batch = batchOfSpans();
  try {
    for (const protocol of OTLP_PROTOCOLS) {
      await measure(protocol, sink, batch, join(spoolRoot, protocol.replace('/', '-')));
    }
  } finally {
    sink.stop();
    rmSync(spoolRoot, { recursive: true, force: true });
  }
}

async function measure(protocol: OtlpProtocol, sink: Sink, batch: ReadableSpan[], dir: string): Promise<void> {
  const base = `http://127.0.0.1:${protocol === 'grpc' ? sink.grpcPort : sink.httpPort}`;
  const url = signalUrl(base, protocol, 'traces');
  const variants = [
    alone(createOtlpSpanExporter({ protocol, url })),
    spooled(new SpoolingSpanExporter(createOtlpSpanExporter({ protocol, url }), { dir })),
  ];
  const before = await sink.counts();
  const perSpan = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length] as ExportVariant;
      const ns = await cpuOf(() => variant.run(batch));
      if (round >= WARMUP_ROUNDS) perSpan.get(variant.name)?.push(ns / (BATCHES * BATCH));
    }
  }
  await Promise.all(variants.map((variant) => variant.shutdown()));

  // Check what was measured: every batch of both variants reached the sink, and the spool is empty.
  const after = await sink.counts();
  const received = protocol === 'grpc' ? after.grpc - before.grpc : after.http - before.http;
  const expected = 2 * (WARMUP_ROUNDS + ROUNDS) * BATCHES;
  if (received !== expected)
    throw new BenchCheckError(`export ${protocol}: the sink got ${received} of ${expected} batches`);
  if (readdirSync(dir).length !== 0) throw new BenchCheckError(`export ${protocol}: the spool is not empty`);

  const [a, s] = variants.map((variant) => perSpan.get(variant.name) ?? []) as [number[], number[]];
  const ratio = median(s.map((value, i) => value / (a[i] as number)));
  printTable(
    `  ${protocol} (${received} batches at the sink, ${((after.bytes - before.bytes) / received / 1024).toFixed(1)} KiB each)`,
    [
      { label: 'official exporter alone', ns: median(a) },
      {
        label: 'behind the disk spool',
        ns: median(s),
        note: `ratio ${fmt(ratio)} (median of per-round ratios; ${verdict(ratio, TARGET)})`,
      },
    ],
  );
}

runIfMain(import.meta.url, main);
