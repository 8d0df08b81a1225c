import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { SpoolingLogRecordExporter } from '../../../src/export/spooling-log-record-exporter.js';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';
import { pendingIn, recordBytes, recordsIn, recordsOf, segmentNames } from './spool-segments.js';
import { keepEventLoopAliveForThisFile } from '../../support/event-loop.js';
import { diagTextsOfEachTest } from '../../support/diag.js';

keepEventLoopAliveForThisFile();

const messages = diagTextsOfEachTest();

const SPOOL_THEN_DIE = fileURLToPath(new URL('./fixtures/spool-then-die.ts', import.meta.url));

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'otel-sessions-spool-'));

/** `n` ended spans named `prefix-0`, `prefix-1`, … */
function spans(prefix: string, n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < n; i++) tracer.startSpan(`${prefix}-${i}`, { attributes: { 'session.id': `sess_${i}` } }).end();
  return memory.getFinishedSpans();
}

/** An error as the official OTLP/HTTP exporters report an HTTP status. */
const httpError = (code: number): Error => Object.assign(new Error('Bad Request'), { name: 'OTLPExporterError', code });

/** An exporter the test answers for: `mode` says how it answers each export. */
class ScriptedExporter implements SpanExporter {
  mode: 'ok' | 'down' | 'hang' | 'refuse' | 'not found' = 'ok';
  readonly received: string[][] = [];
  attempts = 0;
  shutdowns = 0;
  export(batch: ReadableSpan[], callback: (result: ExportResult) => void): void {
    this.attempts++;
    const mode = this.mode;
    if (mode === 'hang') return;
    setImmediate(() => {
      if (mode === 'ok') {
        this.received.push(batch.map((span) => span.name));
        callback({ code: ExportResultCode.SUCCESS });
      } else if (mode === 'refuse') {
        callback({ code: ExportResultCode.FAILED, error: httpError(400) });
      } else if (mode === 'not found') {
        callback({ code: ExportResultCode.FAILED, error: httpError(404) });
      } else {
        callback({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') });
      }
    });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.shutdowns++;
    // A real exporter's shutdown waits for its exports in flight; a hung one never ends.
    return this.mode === 'hang' ? new Promise(() => {}) : Promise.resolve();
  }
}

const exportNow = (exporter: SpanExporter, batch: ReadableSpan[]): ExportResult => {
  let result: ExportResult | undefined;
  exporter.export(batch, (r) => (result = r));
  assert.ok(result, 'acknowledged synchronously, once on disk');
  return result;
};

/** Bytes on disk of a spool folder's segments. */
const diskBytes = (dir: string): number =>
  segmentNames(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

/** Span names of the pending batches on disk, batch by batch. */
const pendingNames = (dir: string): string[][] =>
  pendingIn(dir).map((record) =>
    JSON.parse(record.payload.toString('utf8')).resourceSpans[0].scopeSpans[0].spans.map(
      (span: { name: string }) => span.name,
    ),
  );

const until = async (what: string, check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), what);
};

describe('SpoolingSpanExporter', () => {
  it('puts each batch on disk before acknowledging it, sends in order, deletes what was accepted', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'hang';
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5 });
    assert.equal(exportNow(exporter, spans('a', 3)).code, ExportResultCode.SUCCESS);
    assert.equal(inner.received.length, 0, 'acknowledged before the collector answered');
    const names = segmentNames(dir);
    assert.equal(names.length, 1);
    assert.match(names[0] ?? '', new RegExp(`^\\d{13}-${process.pid}-\\d+-0000000001\\.otlp-spool$`));
    const [record] = recordsOf(join(dir, names[0] ?? ''));
    assert.deepEqual(
      { state: record?.state, encoding: record?.encoding, count: record?.count },
      { state: 'pending', encoding: 'json', count: 3 },
    );
    assert.deepEqual(pendingNames(dir), [['a-0', 'a-1', 'a-2']], 'the batch itself is on disk, as OTLP JSON');
    await exporter.shutdown();
  });

  it('keeps batches through an outage and sends them in order once the collector answers', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'down';
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5, target: 'http://c/v1/traces' });
    for (const prefix of ['a', 'b', 'c', 'd']) exportNow(exporter, spans(prefix, 2));
    await until('a few failed attempts', () => inner.attempts >= 3);
    assert.equal(pendingIn(dir).length, 4);
    assert.equal(segmentNames(dir).length, 1, 'the batches are appended to one segment');
    inner.mode = 'ok';
    assert.equal(await exporter.whenSent(5000), true);
    assert.deepEqual(inner.received, [
      ['a-0', 'a-1'],
      ['b-0', 'b-1'],
      ['c-0', 'c-1'],
      ['d-0', 'd-1'],
    ]);
    assert.deepEqual(
      recordsIn(dir).map((record) => record.state),
      ['done', 'done', 'done', 'done'],
      'accepted batches are marked done',
    );
    await until('the segment, all done and idle, is deleted', () => segmentNames(dir).length === 0);
    assert.equal(messages.filter((m) => m.includes('cannot reach http://c/v1/traces')).length, 1, messages.join('\n'));
    assert.equal(
      messages.filter((m) =>
        /http:\/\/c\/v1\/traces answers again after [\d.]+ s; sending what was kept; nothing was lost/.test(m),
      ).length,
      1,
      messages.join('\n'),
    );
    await exporter.shutdown();
  });

  it('a batch exported the moment everything before it was sent is sent too', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5 });
    exportNow(exporter, spans('first', 1));
    assert.equal(await exporter.whenSent(5000), true);
    // The sender found its queue empty and is ending: this batch must not wait for the next one.
    exportNow(exporter, spans('second', 1));
    assert.equal(await exporter.whenSent(2000), true);
    assert.deepEqual(inner.received, [['first-0'], ['second-0']]);
    await exporter.shutdown();
  });

  it('forceFlush never waits for the collector, and shutdown returns although the exporter hangs', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'hang';
    const exporter = new SpoolingSpanExporter(inner, { dir });
    exportNow(exporter, spans('a', 1));
    await exporter.forceFlush();
    assert.equal(await exporter.whenSent(20), false, 'whenSent gives up after its time');
    await exporter.shutdown();
    assert.equal(inner.shutdowns, 1);
    assert.equal(pendingIn(dir).length, 1, 'what was not accepted stays on disk');
    assert.ok(
      messages.some((m) => m.includes('1 spans not yet accepted')),
      messages.join('\n'),
    );
  });

  it('drops a batch the collector refuses as malformed, and goes on with the next', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'refuse';
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5 });
    exportNow(exporter, spans('bad', 2));
    await until('the refusal', () => inner.attempts === 1);
    inner.mode = 'ok';
    exportNow(exporter, spans('good', 1));
    assert.equal(await exporter.whenSent(5000), true);
    assert.deepEqual(inner.received, [['good-0']]);
    assert.ok(
      messages.some((m) => m.includes('refused 2 spans as malformed')),
      messages.join('\n'),
    );
    await exporter.shutdown();
  });

  it('a backend that does not take the signal (404, as Jaeger for log records): every batch dropped at once, told once, with what to do', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'not found';
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5, target: 'http://jaeger:4318/v1/traces' });
    messages.length = 0;
    for (let i = 0; i < 20; i++) exportNow(exporter, spans(`b${i}`, 3));
    assert.equal(await exporter.whenSent(5000), true, 'nothing is kept or retried');
    assert.equal(inner.attempts, 20);
    const told = messages.filter((m) => m.includes('does not take OTLP spans'));
    assert.equal(told.length, 1, messages.join('\n'));
    assert.match(
      told[0] ?? '',
      /^otel-sessions: http:\/\/jaeger:4318\/v1\/traces does not take OTLP spans \(Bad Request\); 3 spans were dropped \(.*OpenTelemetry Collector, or set OTEL_TRACES_EXPORTER=none/,
    );
    assert.equal(exporter.takesItems, false);
    // Batches exported after its answer are dropped unencoded: neither kept nor sent.
    for (let i = 0; i < 5; i++) assert.equal(exportNow(exporter, spans(`late${i}`, 2)).code, ExportResultCode.SUCCESS);
    assert.equal(await exporter.whenSent(5000), true);
    assert.equal(inner.attempts, 20, 'nothing sent after the 404');
    assert.deepEqual(exporter.pending, { batches: 0, items: 0, bytes: 0 });
    await exporter.shutdown();
    assert.ok(
      messages.some((m) => m.includes('67 spans were dropped')),
      `the rest is told at shutdown: ${messages.join('\n')}`,
    );
  });

  it('past its cap, drops the oldest batches and says once how many spans were lost; disk stays within the cap', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'down';
    const one = spans('x', 10);
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 1000, maxBytes: 20_000 });
    let exported = 0;
    for (let i = 0; i < 40; i++) {
      exportNow(exporter, one);
      exported += one.length;
      const bytes = diskBytes(dir);
      assert.ok(bytes <= 20_000, `on disk: ${bytes} bytes`);
    }
    const batchBytes = recordsIn(dir).at(-1)?.payload.length ?? 0;
    assert.ok(batchBytes > 1000 && batchBytes < 5000, `one batch is ${batchBytes} bytes`);
    const left = exporter.pending.items;
    assert.ok(left < exported && left > 0);
    assert.equal(messages.filter((m) => m.includes('dropped')).length, 0, 'no message per batch');
    await exporter.shutdown();
    const dropped = messages.filter((m) => m.includes('dropped past'));
    assert.deepEqual(dropped, [
      `otel-sessions: ${exported - left} spans for the collector were dropped past the spool's cap of 20000 bytes`,
    ]);
  });

  it('with several batches per segment, the cap frees whole segments: disk within the cap, the count exact', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'down';
    const one = spans('y', 10);
    // Segments of an eighth of the cap: about four batches of 2.5 kB each.
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5, maxBytes: 100_000 });
    let mostSegments = 0;
    for (let i = 0; i < 100; i++) {
      exportNow(exporter, one);
      const bytes = diskBytes(dir);
      assert.ok(bytes <= 100_000, `on disk: ${bytes} bytes after ${i + 1} batches`);
      mostSegments = Math.max(mostSegments, segmentNames(dir).length);
    }
    const perSegment = segmentNames(dir).map((name) => recordsOf(join(dir, name)).length);
    assert.ok(
      perSegment.some((n) => n >= 3),
      `several batches per segment: ${perSegment.join(', ')}`,
    );
    assert.ok(mostSegments >= 8, `${mostSegments} segments at most`);
    const left = exporter.pending.items;
    assert.equal(
      pendingIn(dir).reduce((sum, record) => sum + record.count, 0),
      left,
      'what is pending is on disk',
    );
    inner.mode = 'ok';
    assert.equal(await exporter.whenSent(5000), true);
    const received = inner.received.reduce((sum, batch) => sum + batch.length, 0);
    assert.equal(received, left);
    await exporter.shutdown();
    assert.deepEqual(segmentNames(dir), [], 'everything sent: no segment left');
    const dropped = messages.filter((m) => m.includes('dropped past'));
    assert.equal(dropped.length, 1, dropped.join('\n'));
    assert.match(
      dropped[0] ?? '',
      new RegExp(`answers again after [\\d.]+ s; sending what was kept; ${1000 - received} spans were dropped past`),
    );
  });

  it('rotates to a new segment at its size and deletes each segment once all its batches were sent', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'down';
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5, maxBytes: 80_000 });
    for (let i = 0; i < 12; i++) exportNow(exporter, spans(`r${i}`, 10));
    const before = segmentNames(dir);
    assert.ok(before.length >= 3, `12 batches of 2.5 kB in segments of 10 kB: ${before.length} segments`);
    assert.ok(
      before.every((name) => statSync(join(dir, name)).size <= 10_000),
      'no segment past its size',
    );
    inner.mode = 'ok';
    assert.equal(await exporter.whenSent(5000), true);
    assert.deepEqual(
      inner.received.map((names) => names[0]),
      Array.from({ length: 12 }, (_, i) => `r${i}-0`),
    );
    const after = segmentNames(dir);
    assert.deepEqual(after, before.slice(-1), 'the sent segments are deleted; the live one stays while in use');
    assert.equal(pendingIn(dir).length, 0);
    await exporter.shutdown();
    assert.deepEqual(segmentNames(dir), []);
  });

  it('holds at most maxMemoryBytes of batches in memory and reads the rest back from disk, in order', async () => {
    const dir = tempDir();
    const inner = new ScriptedExporter();
    inner.mode = 'down';
    const exporter = new SpoolingSpanExporter(inner, { dir, retryDelayMs: 5, maxMemoryBytes: 5000 });
    const spool = (exporter as unknown as { spool: { bytesInMemory: number } }).spool;
    for (let i = 0; i < 10; i++) exportNow(exporter, spans(`m${i}`, 5));
    assert.ok(spool.bytesInMemory <= 5000, `in memory: ${spool.bytesInMemory} bytes`);
    inner.mode = 'ok';
    assert.equal(await exporter.whenSent(5000), true);
    assert.deepEqual(
      inner.received.map((names) => names[0]),
      Array.from({ length: 10 }, (_, i) => `m${i}-0`),
    );
    await exporter.shutdown();
  });

  it('a new spool on the folder sends what a stopped one left, as spans, in order', async () => {
    const dir = tempDir();
    const first = new ScriptedExporter();
    first.mode = 'down';
    const before = new SpoolingSpanExporter(first, { dir, retryDelayMs: 1000 });
    const left = [spans('p', 2), spans('q', 3)];
    for (const batch of left) exportNow(before, batch);
    await before.shutdown();
    assert.deepEqual(pendingNames(dir), [
      ['p-0', 'p-1'],
      ['q-0', 'q-1', 'q-2'],
    ]);

    const second = new ScriptedExporter();
    const after = new SpoolingSpanExporter(second, { dir, retryDelayMs: 5 });
    assert.equal(await after.whenSent(5000), true);
    assert.deepEqual(second.received, [
      ['p-0', 'p-1'],
      ['q-0', 'q-1', 'q-2'],
    ]);
    assert.deepEqual(segmentNames(dir), [], 'the claimed segment, all sent, is deleted');
    assert.ok(
      messages.some((m) => m.includes('sending 5 spans that an earlier process left')),
      messages.join('\n'),
    );
    await after.shutdown();
  });

  it('a batch sent before the process was killed is not sent again by the next one', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', SPOOL_THEN_DIE, dir, '4', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await until('the child sent 2 of its 4 batches', () => out.includes('sent 2'));
    } finally {
      child.kill('SIGKILL');
    }
    await exited;
    assert.deepEqual(
      recordsIn(dir).map((record) => record.state),
      ['done', 'done', 'pending', 'pending'],
    );

    const next = new ScriptedExporter();
    const after = new SpoolingSpanExporter(next, { dir, retryDelayMs: 5 });
    assert.equal(await after.whenSent(5000), true);
    assert.deepEqual(next.received, [
      ['b2-0', 'b2-1'],
      ['b3-0', 'b3-1'],
    ]);
    assert.deepEqual(segmentNames(dir), []);
    await after.shutdown();
  });

  it('ignores a torn record at the end of a segment (a write cut short by a kill) and sends the rest', async () => {
    const dir = tempDir();
    const down = new ScriptedExporter();
    down.mode = 'down';
    const before = new SpoolingSpanExporter(down, { dir, retryDelayMs: 60_000 });
    exportNow(before, spans('whole', 2));
    exportNow(before, spans('also', 1));
    await before.shutdown();
    const [name] = segmentNames(dir);
    assert.ok(name);
    const path = join(dir, name);
    // What a write cut short leaves: the start of a record whose request runs past the end of the file.
    const whole = recordBytes(recordsOf(path)[0]?.payload ?? Buffer.alloc(0), 2);
    appendFileSync(path, whole.subarray(0, 24 + ((whole.length - 24) >> 1)));
    // And a second dead spool's segment cut inside its first header.
    writeFileSync(join(dir, `${name.slice(0, 13)}-2147483646-0000000001.otlp-spool`), whole.subarray(0, 7));

    const next = new ScriptedExporter();
    const after = new SpoolingSpanExporter(next, { dir, retryDelayMs: 5 });
    assert.equal(await after.whenSent(5000), true);
    assert.deepEqual(next.received, [['whole-0', 'whole-1'], ['also-0']]);
    assert.deepEqual(
      messages.filter((m) => /unreadable|damaged|unknown record/.test(m)),
      [],
      'the torn record is no batch: nothing to report',
    );
    assert.deepEqual(segmentNames(dir), [], 'both segments deleted: nothing pending in them');
    await after.shutdown();
  });

  it('leaves on disk, untouched, a segment written by a later version of the format', async () => {
    const dir = tempDir();
    const down = new ScriptedExporter();
    down.mode = 'down';
    const before = new SpoolingSpanExporter(down, { dir, retryDelayMs: 60_000 });
    exportNow(before, spans('known', 1));
    await before.shutdown();
    const [name] = segmentNames(dir);
    assert.ok(name);
    const later = name.replace(/-\d{10}\.otlp-spool$/, '-0000000009.otlp-spool');
    writeFileSync(join(dir, later), Buffer.from('OSP9 a later format, perhaps'));

    const next = new ScriptedExporter();
    const after = new SpoolingSpanExporter(next, { dir, retryDelayMs: 5 });
    assert.equal(await after.whenSent(5000), true);
    assert.deepEqual(next.received, [['known-0']]);
    assert.deepEqual(segmentNames(dir), [later], 'given back under its own name, neither deleted nor moved aside');
    assert.ok(
      messages.some((m) => m.includes('written by a later version')),
      messages.join('\n'),
    );
    await after.shutdown();
  });

  it('claims only the segments of processes no longer running, and each only once', async () => {
    const dir = tempDir();
    const live = new SpoolingSpanExporter(new ScriptedExporter(), { dir, replayOrphans: false });
    (live.exporter as ScriptedExporter).mode = 'hang';
    exportNow(live, spans('live', 1));
    const [liveName] = segmentNames(dir);
    assert.ok(liveName);
    const dying = new ScriptedExporter();
    dying.mode = 'down';
    const gone = new SpoolingSpanExporter(dying, { dir, replayOrphans: false, retryDelayMs: 60_000 });
    exportNow(gone, spans('dead', 1));
    await gone.shutdown();
    // Its segment as if a process long gone had written it; the first stays the live spool's.
    const [deadName] = segmentNames(dir).filter((name) => name !== liveName);
    assert.ok(deadName);
    renameSync(join(dir, deadName), join(dir, deadName.replace(`-${process.pid}-`, '-2147483646-')));
    writeFileSync(join(dir, 'notes.txt'), 'not a segment');

    const a = new ScriptedExporter();
    const b = new ScriptedExporter();
    const first = new SpoolingSpanExporter(a, { dir });
    const second = new SpoolingSpanExporter(b, { dir });
    await first.whenSent(5000);
    await second.whenSent(5000);
    assert.deepEqual([...a.received, ...b.received], [['dead-0']], 'the orphan sent once; the live segment left alone');
    assert.deepEqual(segmentNames(dir), [liveName]);
    assert.ok(readdirSync(dir).includes('notes.txt'), 'other files are left alone');
    await Promise.all([first.shutdown(), second.shutdown(), live.shutdown()]);
  });
});

describe('SpoolingLogRecordExporter', () => {
  it('spools log records the same way and replays them as log records', async () => {
    const dir = tempDir();
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'svc' }),
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    provider.getLogger('l').emit({ body: 'one', attributes: { 'session.id': 'sess_1' } });
    provider.getLogger('l').emit({ body: 'two', attributes: { 'session.id': 'sess_2' } });
    const records = memory.getFinishedLogRecords();

    const received: string[] = [];
    let up = false;
    const inner: LogRecordExporter = {
      export(batch: ReadableLogRecord[], callback: (result: ExportResult) => void) {
        if (!up) return callback({ code: ExportResultCode.FAILED, error: new Error('down') });
        received.push(...batch.map((record) => String(record.body)));
        callback({ code: ExportResultCode.SUCCESS });
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const before = new SpoolingLogRecordExporter(inner, { dir, retryDelayMs: 1000 });
    let result: ExportResult | undefined;
    before.export(records, (r) => (result = r));
    assert.equal(result?.code, ExportResultCode.SUCCESS);
    await before.shutdown();
    assert.ok(
      messages.some((m) => m.includes('2 log records not yet accepted')),
      messages.join('\n'),
    );

    up = true;
    const after = new SpoolingLogRecordExporter(inner, { dir });
    assert.equal(await after.whenSent(5000), true);
    assert.deepEqual(received, ['one', 'two']);
    await after.shutdown();
  });
});
