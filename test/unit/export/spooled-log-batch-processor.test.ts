import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { SpoolingLogRecordExporter } from '../../../src/export/spooling-log-record-exporter.js';
import { SessionLogRecordProcessor } from '../../../src/processors/session-log-record-processor.js';
import { SpooledLogBatchProcessor } from '../../../src/export/spooled-log-batch-processor.js';
import { diagTextsOfEachTest } from '../../support/diag.js';

const messages = diagTextsOfEachTest();

/** A collector that takes no log records, as Jaeger answers them: HTTP 404. */
class NoLogsCollector implements LogRecordExporter {
  offered = 0;
  export(batch: ReadableLogRecord[], callback: (result: ExportResult) => void): void {
    this.offered += batch.length;
    const error = Object.assign(new Error('Not Found'), { name: 'OTLPExporterError', code: 404 });
    setImmediate(() => callback({ code: ExportResultCode.FAILED, error }));
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

test('after the collector answers that it takes no log records, loggers are disabled and no record is made or sent', async () => {
  const collector = new NoLogsCollector();
  const spool = new SpoolingLogRecordExporter(collector, {
    dir: mkdtempSync(join(tmpdir(), 'otel-sessions-nologs-')),
    target: 'http://jaeger:4318/v1/logs',
  });
  const provider = new LoggerProvider({
    processors: [
      new SessionLogRecordProcessor(),
      new SpooledLogBatchProcessor({ exporter: spool, scheduledDelayMillis: 5 }),
    ],
  });
  const logger = provider.getLogger('app');
  assert.equal(logger.enabled(), true, 'records are made until the collector says otherwise');
  logger.emit({ body: 'first' });
  await provider.forceFlush();
  assert.equal(await spool.whenSent(5000), true);
  assert.equal(collector.offered, 1);
  assert.equal(spool.takesItems, false);
  assert.equal(logger.enabled(), false);
  for (let i = 0; i < 10; i++) logger.emit({ body: `later ${i}` });
  await provider.forceFlush();
  assert.equal(await spool.whenSent(5000), true);
  assert.equal(collector.offered, 1, 'nothing offered after the 404');
  assert.ok(
    messages.some((m) => m.includes('does not take OTLP log records')),
    messages.join('\n'),
  );
  await provider.shutdown();
});

test('SessionLogRecordProcessor keeps no logger enabled by itself; a processor that exports does', () => {
  const alone = new LoggerProvider({ processors: [new SessionLogRecordProcessor()] });
  assert.equal(alone.getLogger('app').enabled(), false);
  const exporting = new LoggerProvider({
    processors: [
      new SessionLogRecordProcessor(),
      new SimpleLogRecordProcessor({ exporter: new InMemoryLogRecordExporter() }),
    ],
  });
  assert.equal(exporting.getLogger('app').enabled(), true);
});
