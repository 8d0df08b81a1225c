// A full disk: the journal keeps every line whole or absent, says so once when writing starts
// to fail (no stack) and once when it works again.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiagLogLevel } from '@opentelemetry/api';
import { captureDiag } from '../../support/diag.js';
import type { ExportResult } from '@opentelemetry/core';
import { JournalWriter } from '../../../src/export/journal-writer.js';

const messages = captureDiag(DiagLogLevel.WARN);

test('a disk that fills up mid-line: the line is cut back out, one error without a stack, one line when it works again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-full-'));
  // Every FileHandle shares one prototype: make its writes behave as a full disk would.
  const probe = await open(join(dir, 'probe'), 'w');
  const prototype = Object.getPrototypeOf(probe) as {
    write: (buffer: unknown, offset: number, length: number) => Promise<{ bytesWritten: number }>;
  };
  await probe.close();
  const realWrite = prototype.write;
  let full = false;
  prototype.write = async function (this: unknown, buffer: unknown, offset: number, length: number) {
    if (!full) return realWrite.call(this, buffer, offset, length);
    if (length > 1) return realWrite.call(this, buffer, offset, Math.floor(length / 2)); // half, then no room
    throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
  };
  const writer = new JournalWriter('spans', { dir });
  const write = (n: number): Promise<ExportResult> =>
    new Promise((resolve) => writer.write(() => Buffer.from(JSON.stringify({ resourceSpans: [], n })), resolve));
  try {
    assert.equal((await write(1)).code, 0);
    full = true;
    for (let n = 2; n <= 21; n++) assert.equal((await write(n)).code, 1, 'reported as failed');
    full = false;
    assert.equal((await write(22)).code, 0);
    await writer.close();
  } finally {
    prototype.write = realWrite;
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.jsonl'));
  assert.ok(file);
  const lines = readFileSync(join(dir, file), 'utf8').trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => (JSON.parse(line) as { n: number }).n),
    [1, 22],
    'whole lines only, none glued to the next',
  );
  const errors = messages.filter((m) => m.level === 'error');
  assert.equal(errors.length, 1, errors.map((m) => m.text).join(' | '));
  assert.match(
    errors[0]?.text ?? '',
    /could not write to .* \(ENOSPC: no space left on device, write\); batches are dropped/,
  );
  assert.deepEqual(errors[0]?.extra, [], 'no error object, so no stack');
  const back = messages.filter((m) => m.level === 'warn' && m.text.includes('work again'));
  assert.equal(back.length, 1);
  assert.match(back[0]?.text ?? '', /20 batch\(es\) were dropped/);
});
