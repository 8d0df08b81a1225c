// A spool folder as an attacker or a failing disk leaves it: damaged records cost only
// themselves, a process ID reused by another process does not hold a segment, and files that
// are not regular files are left alone without blocking.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';
import { recordsOf, segmentNames, unblockFifos } from './spool-segments.js';
import { keepEventLoopAliveForThisFile } from '../../support/event-loop.js';
import { diagTextsOfEachTest } from '../../support/diag.js';

keepEventLoopAliveForThisFile();

const messages = diagTextsOfEachTest();

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'otel-sessions-spool-files-'));

/** `n` ended spans named `prefix-0`, `prefix-1`, … */
function spans(prefix: string, n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  for (let i = 0; i < n; i++) provider.getTracer('test').startSpan(`${prefix}-${i}`).end();
  return memory.getFinishedSpans();
}

/** An exporter that takes every batch (or refuses all while `down`) and keeps the span names. */
class Collector {
  down = false;
  readonly received: string[] = [];
  export(batch: ReadableSpan[], callback: (result: ExportResult) => void): void {
    if (this.down) return callback({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') });
    this.received.push(...batch.map((span) => span.name));
    callback({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** What a process stopped during an outage leaves: one segment of `batches` batches of 10 spans (b0-0 … b0-9, b1-0, …). */
async function leftBehind(dir: string, batches: number): Promise<string> {
  const down = new Collector();
  down.down = true;
  const spool = new SpoolingSpanExporter(down, { dir, retryDelayMs: 60_000 });
  for (let b = 0; b < batches; b++) spool.export(spans(`b${b}`, 10), () => {});
  await spool.shutdown();
  const names = segmentNames(dir);
  assert.equal(names.length, 1);
  messages.length = 0;
  return join(dir, names[0] ?? '');
}

/** Overwrites bytes of a file in place. */
function overwrite(path: string, position: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

/** Starts a spool on `dir` (it claims what is orphaned there) and waits until it sent everything. */
async function sendWhatIsLeft(dir: string): Promise<{ received: string[]; spool: SpoolingSpanExporter }> {
  const collector = new Collector();
  const spool = new SpoolingSpanExporter(collector, { dir, retryDelayMs: 5 });
  assert.equal(await spool.whenSent(5000), true);
  await spool.shutdown();
  return { received: collector.received, spool };
}

/** The span names of the batches `leftBehind` wrote, by batch number. */
const namesOf = (batches: number[]): string[] =>
  batches.flatMap((b) => Array.from({ length: 10 }, (_, i) => `b${b}-${i}`));

const aboutFile = (path: string): string[] => messages.filter((m) => m.includes(path));

describe('a damaged spool segment', () => {
  it('a record whose length runs past the end of the file: only that record is lost, one message', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 6);
    const third = recordsOf(path)[2];
    assert.ok(third);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(0xfff0_0000);
    overwrite(path, third.offset + 12, length);

    const { received, spool } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, namesOf([0, 1, 3, 4, 5]), '50 of the 60 spans, in order');
    const told = aboutFile(path);
    assert.equal(told.length, 1, messages.join('\n'));
    assert.match(
      told[0] ?? '',
      new RegExp(`is damaged: skipped ${third.headerBytes + third.payload.length} bytes in 1 place\\(s\\)`),
    );
    assert.deepEqual(spool.damaged, [
      { path, bytes: third.headerBytes + third.payload.length, places: 1, movedTo: undefined },
    ]);
    assert.deepEqual(readdirSync(dir), [], 'sent, then deleted');
  });

  it('a zeroed record header: reading picks up at the next record, the rest is sent', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 6);
    const second = recordsOf(path)[1];
    assert.ok(second);
    overwrite(path, second.offset, Buffer.alloc(second.headerBytes));

    const { received } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, namesOf([0, 2, 3, 4, 5]));
    assert.equal(aboutFile(path).length, 1, messages.join('\n'));
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a record whose request changed (its header intact) is skipped by its length', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 3);
    const first = recordsOf(path)[0];
    assert.ok(first);
    // `b0-0` becomes `b0-X`: still JSON, a batch that could be sent, but not what was spooled.
    const at = first.payload.indexOf('"b0-0"');
    assert.ok(at > 0);
    overwrite(path, first.offset + first.headerBytes + at + 4, Buffer.from('X'));

    const { received } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, namesOf([1, 2]));
    const told = aboutFile(path);
    assert.equal(told.length, 1, messages.join('\n'));
    assert.match(told[0] ?? '', new RegExp(`skipped ${first.headerBytes + first.payload.length} bytes in 1 place`));
  });

  it('a segment with no readable record is moved aside as .damaged, named in one message, and left alone after', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 2);
    const records = recordsOf(path);
    for (const record of records) overwrite(path, record.offset, Buffer.alloc(record.headerBytes, 0x41));
    const bytes = readFileSync(path);

    const { received, spool } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, []);
    const movedTo = `${path}.damaged`;
    assert.deepEqual(readdirSync(dir), [`${path.slice(dir.length + 1)}.damaged`]);
    assert.deepEqual(readFileSync(movedTo), bytes, 'moved as it was');
    const told = aboutFile(path);
    assert.equal(told.length, 1, messages.join('\n'));
    assert.match(told[0] ?? '', /is unreadable \(no record in its \d+ bytes checks\); moved aside as .*\.damaged$/);
    assert.deepEqual(spool.damaged, [{ path, bytes: bytes.length, places: 1, movedTo }]);

    messages.length = 0;
    await sendWhatIsLeft(dir);
    assert.deepEqual(messages, [], 'a segment moved aside is not read again');
    assert.ok(lstatSync(movedTo).isFile());
  });

  it('records of the previous format (OSP1) are still sent', async () => {
    const dir = tempDir();
    const payload = Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [] },
            scopeSpans: [
              {
                scope: { name: 't' },
                spans: [
                  {
                    traceId: '0af7651916cd43dd8448eb211c80319c',
                    spanId: 'b7ad6b7169203331',
                    name: 'old-format',
                    kind: 1,
                    startTimeUnixNano: '1700000000000000000',
                    endTimeUnixNano: '1700000000001000000',
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const header = Buffer.alloc(16);
    header.write('OSP1', 0, 'latin1');
    header[4] = 0x50;
    header[5] = 0x6a;
    header.writeUInt32LE(1, 8);
    header.writeUInt32LE(payload.length, 12);
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, '1700000000000-2147483646-0000000001.otlp-spool'), 'w');
    writeSync(fd, Buffer.concat([header, payload]));
    closeSync(fd);

    const { received } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, ['old-format']);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('who owns a segment', () => {
  let sleeper: ChildProcess | undefined;
  afterEach(() => {
    sleeper?.kill('SIGKILL');
    sleeper = undefined;
  });

  /** A live process that is no spool's: its ID is what a dead writer's ID may be reused for. */
  function unrelatedProcess(): number {
    sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    assert.ok(sleeper.pid);
    return sleeper.pid;
  }

  it('a segment whose writer ID now belongs to another, live process is sent', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 2);
    const pid = unrelatedProcess();
    const name = path.slice(dir.length + 1);
    // The writer's ID, now taken by `sleep`; its start tick stays the writer's.
    assert.match(name, new RegExp(`^\\d{13}-${process.pid}-\\d+-\\d{10}\\.otlp-spool$`));
    const reused = name.replace(`-${process.pid}-`, `-${pid}-`);
    renameSync(path, join(dir, reused));

    const { received } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, namesOf([0, 1]));
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a segment claimed by a process whose ID was reused is sent too', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 1);
    const pid = unrelatedProcess();
    const claimed = `${path.slice(dir.length + 1)}~1700000000000-${pid}-1`;
    renameSync(path, join(dir, claimed));

    const { received } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, namesOf([0]));
  });

  it('a name without a start tick (an older version, or no /proc) is judged by its process ID alone', async () => {
    const dir = tempDir();
    const path = await leftBehind(dir, 1);
    const pid = unrelatedProcess();
    const old = path.slice(dir.length + 1).replace(new RegExp(`-${process.pid}-\\d+-`), `-${pid}-`);
    renameSync(path, join(dir, old));

    const { received } = await sendWhatIsLeft(dir);
    assert.deepEqual(received, [], 'its process ID runs: taken as its writer');
    assert.deepEqual(segmentNames(dir), [old]);
  });
});

describe('files named as segments that are not regular files', () => {
  it('a FIFO, a directory and a symbolic link are left alone, and the spool starts without blocking', async () => {
    const dir = tempDir();
    const fifo = join(dir, '1700000000000-2147483646-0000000001.otlp-spool');
    const folder = join(dir, '1700000000000-2147483646-0000000002.otlp-spool');
    const link = join(dir, '1700000000000-2147483646-0000000003.otlp-spool');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(folder);
    symlinkSync(fifo, link);
    // Should the spool block opening the FIFO, this lets it go after 3 s: the test then fails.
    const unblock = unblockFifos(dir, 3);
    try {
      const started = Date.now();
      const { received } = await sendWhatIsLeft(dir);
      assert.ok(Date.now() - started < 2000, `started in ${Date.now() - started} ms`);
      assert.deepEqual(received, []);
    } finally {
      unblock.kill('SIGKILL');
    }
    assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still there, under its name');
    assert.ok(lstatSync(folder).isDirectory());
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(messages.filter((m) => m.includes('no regular file')).length, 3, messages.join('\n'));
  });
});
