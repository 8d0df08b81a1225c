import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseExporters } from '../../../src/export/choose-exporters.js';
import { JournalLogExporter } from '../../../src/export/journal-log-exporter.js';
import { JournalSpanExporter } from '../../../src/export/journal-span-exporter.js';
import { SpoolingLogExporter, SpoolingSpanExporter } from '../../../src/export/otlp-spooling-exporters.js';

const urls = (exporters: unknown[]) =>
  exporters.map((exporter) =>
    exporter instanceof SpoolingSpanExporter || exporter instanceof SpoolingLogExporter
      ? exporter.spool.url
      : exporter instanceof JournalSpanExporter || exporter instanceof JournalLogExporter
        ? 'journal'
        : 'other',
  );

test('no collector configured: the journal only', () => {
  const chosen = chooseExporters({ journalDir: '.j', keepJournal: false });
  assert.deepEqual(urls(chosen.spanExporters), ['journal']);
  assert.deepEqual(urls(chosen.logExporters), ['journal']);
  assert.equal(chosen.description, '.j');
});

test('a base endpoint: /v1/traces and /v1/logs through spools; the journal only when asked', () => {
  const chosen = chooseExporters({ endpoint: 'http://collector:4318/', journalDir: '.j', keepJournal: false });
  assert.deepEqual(urls(chosen.spanExporters), ['http://collector:4318/v1/traces']);
  assert.deepEqual(urls(chosen.logExporters), ['http://collector:4318/v1/logs']);
  assert.equal(chosen.description, 'http://collector:4318');
  const both = chooseExporters({ endpoint: 'http://collector:4318', journalDir: '.j', keepJournal: true });
  assert.deepEqual(urls(both.spanExporters), ['http://collector:4318/v1/traces', 'journal']);
});

test('per-signal URLs are used as they are; a traces URL alone gives its logs sibling', () => {
  const chosen = chooseExporters({ tracesUrl: 'http://c:4318/v1/traces', journalDir: '.j', keepJournal: false });
  assert.deepEqual(urls(chosen.logExporters), ['http://c:4318/v1/logs']);
  const custom = chooseExporters({
    tracesUrl: 'http://c/t',
    logsUrl: 'http://c/l',
    journalDir: '.j',
    keepJournal: false,
  });
  assert.deepEqual([...urls(custom.spanExporters), ...urls(custom.logExporters)], ['http://c/t', 'http://c/l']);
});

test('a traces URL outside the standard layout implies no logs URL: logs go to the journal', () => {
  const chosen = chooseExporters({ tracesUrl: 'http://c/t', journalDir: '.j', keepJournal: false });
  assert.deepEqual(urls(chosen.spanExporters), ['http://c/t']);
  assert.deepEqual(urls(chosen.logExporters), ['journal']);
  assert.equal(chosen.description, 'http://c/t and .j');
});
