// BatchSpool on its own (the queue and sender behind the spooling exporters), with a plain
// codec and a stand-in send: order, retries, the byte cap, refusals, and whenSent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { captureDiagTexts } from '../../support/diag.js';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpool } from '../../../src/export/batch-spool.js';
import type { SpoolCodec } from '../../../src/export/spool-codec.js';
import { recordsIn } from './spool-segments.js';

const root = mkdtempSync(join(tmpdir(), 'batch-spool-'));
after(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const folder = (): string => join(root, `spool-${++folders}`);

/** Strings as a JSON array: what the spool writes and reads back. */
const codec: SpoolCodec<string> = {
  what: 'spans',
  exporterVariable: 'OTEL_TRACES_EXPORTER',
  encoding: 'json',
  encode: (items) => Buffer.from(JSON.stringify(items)),
  held: (items) => items,
  readBack: (bytes) => JSON.parse(Buffer.from(bytes).toString('utf8')) as string[],
};

const ok: ExportResult = { code: ExportResultCode.SUCCESS };
const failed = (error: Error): ExportResult => ({ code: ExportResultCode.FAILED, error });

test('batches are sent in the order added, each once, and marked done on disk', async () => {
  const sent: string[][] = [];
  const dir = folder();
  const spool = new BatchSpool<string>({ dir }, codec, async (items) => {
    sent.push(items);
    return ok;
  });
  for (let n = 0; n < 5; n++) assert.equal(spool.add([`a${n}`, `b${n}`]).code, ExportResultCode.SUCCESS);
  assert.equal(await spool.whenSent(2000), true);
  assert.deepEqual(
    sent,
    [0, 1, 2, 3, 4].map((n) => [`a${n}`, `b${n}`]),
  );
  assert.deepEqual(spool.contents, { batches: 0, items: 0, bytes: 0 });
  assert.ok(
    recordsIn(dir).every((record) => record.state === 'done'),
    'every record on disk is marked done',
  );
  spool.close();
});

test('a collector that fails is retried with backoff, in order; nothing is lost, and batches added meanwhile wait their turn', async () => {
  const sent: string[] = [];
  let failing = 3;
  const spool = new BatchSpool<string>({ dir: folder(), retryDelayMs: 10 }, codec, async (items) => {
    if (failing > 0) {
      failing--;
      return failed(new Error('connect ECONNREFUSED'));
    }
    sent.push(...items);
    return ok;
  });
  spool.add(['first']);
  await sleep(5);
  spool.add(['second']);
  spool.add(['third']);
  assert.equal(await spool.whenSent(5000), true);
  assert.deepEqual(sent, ['first', 'second', 'third']);
  spool.close();
});

test('past maxBytes the oldest batches are dropped, and one message says how many spans were lost', async () => {
  const messages = captureDiagTexts(DiagLogLevel.WARN);
  let release: () => void = () => {};
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const sent: string[] = [];
  const spool = new BatchSpool<string>({ dir: folder(), maxBytes: 4096, retryDelayMs: 5 }, codec, async (items) => {
    await blocked;
    sent.push(...items);
    return ok;
  });
  const big = 'x'.repeat(500);
  for (let n = 0; n < 40; n++) spool.add([`${n}:${big}`]);
  assert.ok(spool.contents.bytes <= 4096, `held ${spool.contents.bytes} bytes, the cap is 4096`);
  release();
  assert.equal(await spool.whenSent(5000), true);
  assert.ok(sent.length < 40 && sent.length > 0, `sent ${sent.length} of 40`);
  assert.ok(sent.at(-1)?.startsWith('39:'), 'the newest batch is kept');
  spool.close();
  const dropped = messages.filter((message) => /dropped|lost/.test(message));
  assert.equal(dropped.length, 1, messages.join('\n'));
  assert.match(dropped[0]!, new RegExp(`${40 - sent.length} spans`));
  diag.disable();
});

test('a batch the collector refuses as malformed is dropped, not retried; the next ones go on', async () => {
  captureDiagTexts(DiagLogLevel.WARN);
  const sent: string[] = [];
  let calls = 0;
  const spool = new BatchSpool<string>({ dir: folder(), retryDelayMs: 5 }, codec, async (items) => {
    calls++;
    if (items[0] === 'bad')
      return failed(Object.assign(new Error('Bad Request'), { name: 'OTLPExporterError', code: 400 }));
    sent.push(...items);
    return ok;
  });
  spool.add(['bad']);
  spool.add(['good']);
  assert.equal(await spool.whenSent(2000), true);
  assert.deepEqual(sent, ['good']);
  assert.equal(calls, 2, 'the refused batch was sent once');
  spool.close();
  diag.disable();
});

test('whenSent answers false after its timeout while the collector is down, and the batches stay queued', async () => {
  const spool = new BatchSpool<string>({ dir: folder(), retryDelayMs: 1000 }, codec, async () =>
    failed(new Error('connect ECONNREFUSED')),
  );
  captureDiagTexts(DiagLogLevel.WARN);
  spool.add(['waiting']);
  assert.equal(await spool.whenSent(50), false);
  assert.deepEqual(spool.contents, { batches: 1, items: 1, bytes: Buffer.byteLength('["waiting"]') });
  spool.close();
  diag.disable();
});
