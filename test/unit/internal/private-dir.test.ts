// Telemetry and thread files are private: folders 0700 and files 0600 whoever makes them,
// and a folder found open to others gets one warning.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JournalWriter } from '../../../src/export/journal-writer.js';
import { SpoolFiles } from '../../../src/export/spool-files.js';
import { ensurePrivateDir } from '../../../src/internal/private-dir.js';
import { SqliteThreadStore } from '../../../src/thread/sqlite-thread-store.js';

const warnings: string[] = [];
diag.setLogger(
  { error: () => {}, warn: (m: string) => void warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} },
  DiagLogLevel.WARN,
);
const modeOf = (path: string): number => statSync(path).mode & 0o777;

test('the journal, the spool and the thread store make their folders 0700 and their files 0600', async () => {
  // A permissive umask must not widen them.
  const previous = process.umask(0);
  try {
    const root = join(mkdtempSync(join(tmpdir(), 'otel-sessions-private-')), 'journal');
    const writer = new JournalWriter('spans', { dir: root });
    const written = await new Promise<ExportResult>((resolve) =>
      writer.write(() => Buffer.from('{"resourceSpans":[]}'), resolve),
    );
    assert.equal(written.code, ExportResultCode.SUCCESS);
    await writer.close();
    const spool = new SpoolFiles(join(root, 'spool', 'spans'), 1 << 20);
    spool.write(Buffer.from('{}'), 1, 'json');
    spool.close();
    const store = new SqliteThreadStore({ dir: join(root, 'threads'), checkpointInWorker: false });
    await store.save('thrd_AAAAAAAAAAAAAAAAAAAAAAAA', { set: { a: 1 }, deleted: [], cleared: false });
    await store.close();

    for (const dir of [root, join(root, 'spool'), join(root, 'spool', 'spans'), join(root, 'threads')])
      assert.equal(modeOf(dir), 0o700, dir);
    const files = [
      ...readdirSync(root)
        .filter((name) => name.endsWith('.jsonl'))
        .map((name) => join(root, name)),
      ...readdirSync(join(root, 'spool', 'spans')).map((name) => join(root, 'spool', 'spans', name)),
      join(root, 'threads', 'threads.sqlite'),
    ];
    assert.ok(files.length >= 3, files.join(', '));
    for (const file of files) assert.equal(modeOf(file), 0o600, file);
  } finally {
    process.umask(previous);
  }
});

test('a folder that exists open to others is warned about once, naming it and the fix', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'otel-sessions-open-')), 'journal');
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  warnings.length = 0;
  ensurePrivateDir(dir);
  ensurePrivateDir(dir);
  assert.equal(warnings.length, 1, warnings.join(' | '));
  assert.match(warnings[0] ?? '', new RegExp(`${dir} is open to other users \\(mode 755\\).*chmod 700 ${dir}`));
  assert.equal(modeOf(dir), 0o755, 'left as it is');
});
