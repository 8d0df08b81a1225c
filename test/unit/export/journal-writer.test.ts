import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JOURNAL_FILE_PATTERN, JournalWriter } from '../../../src/export/journal-writer.js';

const WRITER = fileURLToPath(new URL('./fixtures/write-journal.ts', import.meta.url));
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'otel-sessions-writer-'));

/** Writes `line` through the writer and waits for the result. */
function write(writer: JournalWriter, line: string): Promise<ExportResult> {
  return new Promise((resolve) => writer.write(() => Buffer.from(line), resolve));
}

/** Every line of every journal file in `dir`, parsed; throws on a line that is not whole JSON. */
function readAll(dir: string): unknown[] {
  return readdirSync(dir).flatMap((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    assert.ok(text.endsWith('\n'), `${name} ends with a whole line`);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line));
  });
}

describe('JournalWriter', () => {
  it('rotates to a new file before a line would pass maxFileBytes', async () => {
    const dir = tempDir();
    const writer = new JournalWriter('spans', { dir, maxFileBytes: 1000 });
    const line = JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(280) }); // 300 bytes with its newline
    for (let i = 0; i < 10; i++) assert.equal((await write(writer, line)).code, ExportResultCode.SUCCESS);
    await writer.close();

    const files = readdirSync(dir).sort();
    assert.equal(files.length, 4, '3 + 3 + 3 + 1 lines');
    for (const [index, name] of files.entries()) {
      assert.match(name, JOURNAL_FILE_PATTERN);
      assert.ok(name.endsWith(`-000${index + 1}.jsonl`));
      assert.ok(statSync(join(dir, name)).size <= 1000);
    }
    assert.equal(readAll(dir).length, 10);
  });

  it('deletes the oldest closed files beyond maxTotalBytes, never the open one', async () => {
    const dir = tempDir();
    const writer = new JournalWriter('logs', { dir, maxFileBytes: 1000, maxTotalBytes: 2500 });
    const line = JSON.stringify({ resourceLogs: [], pad: 'x'.repeat(280) });
    for (let i = 0; i < 30; i++) await write(writer, line);
    const current = writer.currentFile;
    await writer.close();

    const files = readdirSync(dir).sort();
    const total = files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    assert.ok(total <= 2500 + 1000, `total ${total}`);
    assert.ok(files.length < 10);
    assert.ok(current !== undefined && files.includes(current.slice(dir.length + 1)), 'the open file survives');
    assert.ok(files.at(-1)?.endsWith('-0010.jsonl'), 'the newest files are kept');
  });

  it('keeps lines whole with two processes writing to one folder at once', async () => {
    const dir = tempDir();
    const count = 300;
    const codes = await Promise.all([runWriter(dir, count), runWriter(dir, count)]);
    assert.deepEqual(codes, [0, 0]);
    const names = readdirSync(dir);
    const pids = new Set(names.map((name) => JOURNAL_FILE_PATTERN.exec(name)?.[2]));
    assert.equal(pids.size, 2, 'each process writes its own files');
    assert.ok(names.length > 2, 'and rotated them');
    const lines = readAll(dir) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }[];
    assert.equal(lines.length, 2 * count);
    assert.equal(lines.flatMap((line) => line.resourceSpans[0]?.scopeSpans[0]?.spans ?? []).length, 2 * count);
  });

  it('keeps lines whole when two processes rotate and prune at once', async () => {
    const dir = tempDir();
    const codes = await Promise.all([runWriter(dir, 300, 20_000, 100_000), runWriter(dir, 300, 20_000, 100_000)]);
    assert.deepEqual(codes, [0, 0]);
    const lines = readAll(dir);
    assert.ok(lines.length > 0 && lines.length < 600, `${lines.length} lines survive pruning`);
  });
});

function runWriter(dir: string, count: number, maxFileBytes = 65_536, maxTotalBytes = 1 << 30): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WRITER, dir, String(count), String(maxFileBytes), String(maxTotalBytes)],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('close', resolve);
  });
}
