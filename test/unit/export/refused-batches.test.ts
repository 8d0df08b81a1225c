import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagLogLevel } from '@opentelemetry/api';
import { captureDiagTexts } from '../../support/diag.js';
import { OFFER_AGAIN_MS, RefusedBatches, refusalOf } from '../../../src/export/refused-batches.js';

const messages = captureDiagTexts(DiagLogLevel.ERROR);

const http = (code: number): Error => Object.assign(new Error(`HTTP ${code}`), { name: 'OTLPExporterError', code });
const grpc = (code: number): Error => Object.assign(new Error(`gRPC ${code}`), { code });

test('what a failed export says: not taken (404, 405, UNIMPLEMENTED), malformed (other 4xx, INVALID_ARGUMENT), or a moment', () => {
  assert.equal(refusalOf(http(404)), 'not taken');
  assert.equal(refusalOf(http(405)), 'not taken');
  assert.equal(refusalOf(grpc(12)), 'not taken');
  assert.equal(refusalOf(http(400)), 'malformed');
  assert.equal(refusalOf(http(413)), 'malformed');
  assert.equal(refusalOf(grpc(3)), 'malformed');
  for (const moment of [http(408), http(429), http(503), grpc(14), new Error('connect ECONNREFUSED'), undefined])
    assert.equal(refusalOf(moment), undefined, String(moment));
});

test('refused batches are told at most once a minute, with what was dropped since; the rest at flush', () => {
  let now = 0;
  const refused = new RefusedBatches('http://jaeger:4318/v1/logs', 'log records', 'OTEL_LOGS_EXPORTER', () => now);
  messages.length = 0;
  for (let i = 0; i < 100; i++, now += 1000) refused.add(5, 'not taken', http(404));
  // At 0 s (the first batch) and at 60 s (the 12 batches since): two messages for 100 batches.
  assert.equal(messages.length, 2, messages.join('\n'));
  assert.match(messages[0] ?? '', /does not take OTLP log records \(HTTP 404\); 5 log records were dropped/);
  assert.match(messages[0] ?? '', /set OTEL_LOGS_EXPORTER=none to stop exporting them/);
  assert.match(messages[1] ?? '', /; 300 log records were dropped/);
  refused.flush();
  assert.match(messages[2] ?? '', /; 195 log records were dropped/);
  refused.flush();
  assert.equal(messages.length, 3, 'nothing more to tell');

  now += 60_000;
  refused.add(2, 'malformed', http(400));
  assert.match(messages[3] ?? '', /refused 2 log records as malformed \(HTTP 400\); they were dropped/);
});

test('after "not taken" the signal is not taken until it is offered again five minutes later, or a batch is taken', () => {
  let now = 0;
  const refused = new RefusedBatches('http://jaeger:4318/v1/logs', 'log records', 'OTEL_LOGS_EXPORTER', () => now);
  messages.length = 0;
  assert.equal(refused.takes(), true, 'taken until told otherwise');
  refused.add(5, 'not taken', http(404));
  assert.equal(refused.takes(), false);
  assert.match(messages[0] ?? '', /not exported, and offered again every 5 minutes/);
  now += OFFER_AGAIN_MS - 1;
  assert.equal(refused.takes(), false);
  now += 1;
  assert.equal(refused.takes(), true, 'offered again');
  refused.add(5, 'not taken', http(404));
  assert.equal(refused.takes(), false, 'refused again: five more minutes');
  refused.taken();
  assert.equal(refused.takes(), true, 'a batch taken');
  refused.add(3, 'malformed', http(400));
  assert.equal(refused.takes(), true, 'a malformed batch says nothing of the signal');

  // Batches skipped meanwhile are counted and told as dropped, within the minute's message.
  refused.flush();
  messages.length = 0;
  now += 60_000;
  refused.skip(7);
  refused.skip(2);
  refused.flush();
  assert.equal(messages.length, 2, messages.join('\n'));
  assert.match(messages[0] ?? '', /does not take OTLP log records; 7 log records were dropped/);
  assert.match(messages[1] ?? '', /; 2 log records were dropped/);
});
