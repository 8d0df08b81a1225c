// A full disk under the spool: one error when writing starts to fail (no stack), none per
// batch, one warning when it works again with what it cost; no batch is lost meanwhile.
import assert from 'node:assert/strict';
import fs, { mkdtempSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpoolingSpanExporter } from '../../../src/export/spooling-span-exporter.js';
import { keepEventLoopAliveForThisFile } from '../../support/event-loop.js';
import { captureDiag } from '../../support/diag.js';

keepEventLoopAliveForThisFile();

const messages = captureDiag(DiagLogLevel.WARN);

function batch(n: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  provider.getTracer('t').startSpan(`n${n}`).end();
  return memory.getFinishedSpans();
}

test('a disk that fills up under the spool: one error without a stack, one line when it works again, nothing lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-spool-full-'));
  // The spool writes with writevSync (records) and writeSync (done marks): make both behave as a full disk would.
  const real = { writevSync: fs.writevSync, writeSync: fs.writeSync };
  let full = false;
  const noSpace = (): never => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
  };
  fs.writevSync = ((...args: Parameters<typeof fs.writevSync>) =>
    full ? noSpace() : real.writevSync(...args)) as typeof fs.writevSync;
  fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) =>
    full ? noSpace() : (real.writeSync as (...a: unknown[]) => number)(...args)) as typeof fs.writeSync;
  syncBuiltinESMExports();

  let up = false;
  const received: string[] = [];
  const spool = new SpoolingSpanExporter(
    {
      export(spans: ReadableSpan[], callback: (result: ExportResult) => void) {
        if (!up) return callback({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') });
        received.push(...spans.map((span) => span.name));
        callback({ code: ExportResultCode.SUCCESS });
      },
      shutdown: () => Promise.resolve(),
    },
    { dir, retryDelayMs: 5 },
  );
  const exportNow = (n: number): void => spool.export(batch(n), (result) => assert.equal(result.code, 0));
  try {
    // Three batches on disk while the collector is down; then the disk fills.
    for (let n = 1; n <= 3; n++) exportNow(n);
    full = true;
    for (let n = 4; n <= 23; n++) exportNow(n);
    assert.equal(spool.pending.batches, 23, 'the batches the disk refused are kept, in memory');
    // The collector takes everything; marking the batches on disk sent fails too.
    up = true;
    assert.equal(await spool.whenSent(5000), true);
    full = false;
    // Added as the sender ends: still sent.
    exportNow(24);
    assert.equal(await spool.whenSent(5000), true);
    await spool.shutdown();
  } finally {
    fs.writevSync = real.writevSync;
    fs.writeSync = real.writeSync;
    syncBuiltinESMExports();
  }
  assert.deepEqual(
    received,
    Array.from({ length: 24 }, (_, i) => `n${i + 1}`),
    'every batch sent, in order',
  );
  const errors = messages.filter((m) => m.level === 'error');
  assert.equal(errors.length, 1, errors.map((m) => m.text).join(' | '));
  assert.match(
    errors[0]?.text ?? '',
    /cannot write to the spool in .* \(ENOSPC: no space left on device, write\); batches are kept in memory only/,
  );
  assert.deepEqual(errors[0]?.extra, [], 'no error object, so no stack');
  // The collector's outage is told apart; these are the disk's.
  const warnings = messages.filter((m) => m.level === 'warn' && !/cannot reach|answers again/.test(m.text));
  assert.deepEqual(
    warnings.map((m) => m.text.replace(dir, 'DIR')),
    [
      'otel-sessions: writes to the spool in DIR work again; 20 batch(es) were kept in memory only meanwhile, ' +
        'and 2 sent batch(es) could not be marked sent (they may be sent again)',
    ],
    'one line when it works again; none per batch',
  );
});
