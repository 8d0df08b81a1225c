import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { readEnvSettings } from '../../../src/runtime/env-settings.js';
import { resolveSettings } from '../../../src/runtime/resolve-settings.js';

const warnings: string[] = [];
diag.setLogger(
  { error: () => {}, warn: (m: string) => void warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} },
  DiagLogLevel.WARN,
);

test('standard and own variables are read; blanks are absent', () => {
  const settings = readEnvSettings({
    OTEL_SERVICE_NAME: ' billing ',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    OTEL_SESSIONS_SPOOL_MAX_BYTES: '1048576',
    OTEL_SESSIONS_THREAD_TTL_MS: '600000',
    OTEL_SESSIONS_JOURNAL: 'true',
    OTEL_SESSIONS_SECRET: '   ',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '128',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
  });
  assert.equal(settings.serviceName, 'billing');
  assert.equal(settings.endpoint, 'http://collector:4318');
  assert.equal(settings.tracesProtocol, 'grpc');
  assert.equal(settings.logsProtocol, 'http/json');
  assert.equal(settings.spoolMaxBytes, 1_048_576);
  assert.equal(settings.threadTtlMs, 600_000);
  assert.equal(settings.keepJournal, true);
  assert.equal(settings.secret, undefined);
  assert.deepEqual(settings.spanBatch, { maxExportBatchSize: 128 });
  assert.deepEqual(settings.logBatch, { scheduledDelayMillis: 200 });
});

test('a bad value is warned about, by name, and ignored', () => {
  warnings.length = 0;
  const settings = readEnvSettings({
    OTEL_SESSIONS_THREAD_TTL_MS: 'an hour',
    OTEL_SESSIONS_JOURNAL: 'maybe',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml',
    OTEL_SESSIONS_SPOOL_MAX_BYTES: 'lots',
    OTEL_BSP_MAX_QUEUE_SIZE: '-5',
  });
  assert.equal(settings.threadTtlMs, undefined);
  assert.equal(settings.keepJournal, undefined);
  assert.equal(settings.tracesProtocol, undefined);
  assert.equal(settings.spoolMaxBytes, undefined);
  assert.deepEqual(settings.spanBatch, {});
  for (const name of [
    'OTEL_SESSIONS_THREAD_TTL_MS',
    'OTEL_SESSIONS_JOURNAL',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_SESSIONS_SPOOL_MAX_BYTES',
    'OTEL_BSP_MAX_QUEUE_SIZE',
  ]) {
    assert.ok(
      warnings.some((warning) => warning.includes(name)),
      name,
    );
  }
});

test('a short OTEL_SESSIONS_SECRET is not ignored: it fails at once, saying how to make one', () => {
  assert.throws(
    () => readEnvSettings({ OTEL_SESSIONS_SECRET: 'too-short' }),
    /OTEL_SESSIONS_SECRET must be at least 32 characters \(it has 9\): make one with `openssl rand -base64 48`/,
  );
  const long = 'x'.repeat(32);
  assert.equal(readEnvSettings({ OTEL_SESSIONS_SECRET: ` ${long} ` }).secret, long);
  assert.equal(readEnvSettings({ NODE_ENV: 'production' }).production, true);
  assert.equal(readEnvSettings({ NODE_ENV: 'development' }).production, false);
});

test('OTEL_SESSIONS_LOG_SPAN_EVENTS turns span events of log records on or off', () => {
  assert.equal(readEnvSettings({ OTEL_SESSIONS_LOG_SPAN_EVENTS: 'false' }).logSpanEvents, false);
  assert.equal(readEnvSettings({ OTEL_SESSIONS_LOG_SPAN_EVENTS: '1' }).logSpanEvents, true);
  assert.equal(readEnvSettings({}).logSpanEvents, undefined);
});

test('OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER=none turn a signal off; otlp keeps it; others are warned about and taken as otlp', () => {
  warnings.length = 0;
  const off = readEnvSettings({ OTEL_LOGS_EXPORTER: ' None ', OTEL_TRACES_EXPORTER: 'otlp' });
  assert.equal(off.logsOff, true);
  assert.equal(off.tracesOff, false);
  assert.equal(readEnvSettings({}).logsOff, false);
  assert.equal(readEnvSettings({ OTEL_TRACES_EXPORTER: 'none' }).tracesOff, true);
  assert.deepEqual(warnings, []);
  const other = readEnvSettings({ OTEL_LOGS_EXPORTER: 'console,otlp' });
  assert.equal(other.logsOff, false);
  assert.match(warnings[0] ?? '', /OTEL_LOGS_EXPORTER=console is not supported \(only otlp and none\); exporting OTLP/);
});

test('OTEL_SESSIONS_EDGE and OTEL_SESSIONS_IGNORE_PATHS say where the HTTP edge applies; the code option wins', () => {
  warnings.length = 0;
  const env = readEnvSettings({
    OTEL_SESSIONS_EDGE: 'false',
    OTEL_SESSIONS_IGNORE_PATHS: ' /health, /static/* ,metrics,',
  });
  assert.equal(env.edge, false);
  assert.deepEqual(env.ignorePaths, ['/health', '/static/*']);
  assert.deepEqual(warnings, ['otel-sessions: OTEL_SESSIONS_IGNORE_PATHS entries must start with /; ignoring metrics']);
  assert.equal(resolveSettings({}, env).edge, false, 'off from the environment');
  assert.deepEqual(resolveSettings({ edge: true }, env).edge, { ignorePaths: ['/health', '/static/*'] });
  assert.deepEqual(resolveSettings({ edge: { ignorePaths: ['/ping'] } }, env).edge, { ignorePaths: ['/ping'] });
  const on = readEnvSettings({});
  assert.equal(on.edge, undefined);
  assert.deepEqual(resolveSettings({}, on).edge, { ignorePaths: undefined }, 'on by default');
  assert.equal(resolveSettings({ edge: false }, on).edge, false);
});

test('OTEL_SESSIONS_REDIS_CLUSTER: the comma-separated URLs of Redis Cluster nodes; a bad entry is warned about (without its credentials) and left out', () => {
  warnings.length = 0;
  const env = readEnvSettings({
    OTEL_SESSIONS_REDIS_CLUSTER:
      ' redis://10.0.0.1:7000 ,rediss://user:secret@10.0.0.2:7001,, 10.0.0.3:7002,http://x:1,user:pw@10.0.0.4:7003',
  });
  assert.deepEqual(env.redisCluster, ['redis://10.0.0.1:7000', 'rediss://user:secret@10.0.0.2:7001']);
  assert.equal(env.redisUrl, undefined);
  assert.deepEqual(warnings, [
    'otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER entries must be redis:// or rediss:// URLs; ignoring 10.0.0.3:7002, http://x:1, ***@10.0.0.4:7003',
  ]);
  assert.deepEqual(resolveSettings({}, env).redisCluster, [
    'redis://10.0.0.1:7000',
    'rediss://user:secret@10.0.0.2:7001',
  ]);

  warnings.length = 0;
  assert.deepEqual(readEnvSettings({ OTEL_SESSIONS_REDIS_CLUSTER: 'redis://127.0.0.1:7000' }).redisCluster, [
    'redis://127.0.0.1:7000',
  ]);
  assert.equal(readEnvSettings({ OTEL_SESSIONS_REDIS_CLUSTER: ' , ' }).redisCluster, undefined, 'blank: absent');
  assert.equal(readEnvSettings({}).redisCluster, undefined);
  assert.deepEqual(warnings, []);
});

test('OTEL_SESSIONS_REDIS_CLUSTER naming no node is ignored, with a warning; OTEL_SESSIONS_REDIS_URL then applies', () => {
  warnings.length = 0;
  const env = readEnvSettings({
    OTEL_SESSIONS_REDIS_CLUSTER: 'localhost:7000',
    OTEL_SESSIONS_REDIS_URL: 'redis://cache:6379',
  });
  assert.equal(env.redisCluster, undefined);
  assert.equal(env.redisUrl, 'redis://cache:6379');
  assert.deepEqual(warnings, [
    'otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER entries must be redis:// or rediss:// URLs; ignoring localhost:7000',
    'otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER names no Redis node; ignoring it',
  ]);
});

test('OTEL_SESSIONS_REDIS_CLUSTER wins over OTEL_SESSIONS_REDIS_URL, which is ignored with a warning', () => {
  warnings.length = 0;
  const env = readEnvSettings({
    OTEL_SESSIONS_REDIS_CLUSTER: 'redis://node-a:7000,redis://node-b:7000',
    OTEL_SESSIONS_REDIS_URL: 'redis://cache:6379',
  });
  assert.deepEqual(env.redisCluster, ['redis://node-a:7000', 'redis://node-b:7000']);
  assert.equal(env.redisUrl, undefined);
  assert.deepEqual(warnings, ['otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER is set: ignoring OTEL_SESSIONS_REDIS_URL']);
  const settings = resolveSettings({}, env);
  assert.deepEqual(
    [settings.redisCluster, settings.redisUrl],
    [['redis://node-a:7000', 'redis://node-b:7000'], undefined],
  );
  assert.equal(readEnvSettings({ OTEL_SESSIONS_REDIS_URL: ' redis://cache:6379 ' }).redisUrl, 'redis://cache:6379');
});
