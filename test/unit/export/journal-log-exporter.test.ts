import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';

const SESSION = 'sess_AAAAAAAAAAAAAAAAAAAAAAAA';
const THREAD = 'thrd_BBBBBBBBBBBBBBBBBBBBBBBB';

describe('JournalLogExporter', () => {
  it('writes OTLP-JSON lines of log records with session.id, level and message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-sessions-journal-'));
    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: new JournalLogExporter({ dir }) })],
    });
    provider.getLogger('test').emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'warn',
      body: 'slow tool',
      attributes: { 'session.id': SESSION, 'session.thread_id': THREAD, ms: 1200 },
    });
    await provider.shutdown();

    const files = readdirSync(dir);
    assert.deepEqual(
      files.map((name) => name.replace(/-\d+-\d+-/, '-PID-START-')),
      ['logs-PID-START-0001.jsonl'],
    );
    const lines = readFileSync(join(dir, files[0] ?? ''), 'utf8')
      .trimEnd()
      .split('\n');
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] ?? '').resourceLogs[0].scopeLogs[0].logRecords[0];
    assert.equal(record.severityText, 'warn');
    assert.equal(record.severityNumber, SeverityNumber.WARN);
    assert.deepEqual(record.body, { stringValue: 'slow tool' });
    assert.deepEqual(record.attributes, [
      { key: 'session.id', value: { stringValue: SESSION } },
      { key: 'session.thread_id', value: { stringValue: THREAD } },
      { key: 'ms', value: { intValue: 1200 } },
    ]);
  });
});
