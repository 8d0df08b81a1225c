import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { RegisterOptions } from '../../../src/runtime/register-options.js';
import { Environment, settleSettings, type Settings } from '../../../src/runtime/settings.js';
import { DEFAULT_MAX_THREAD_BYTES } from '../../../src/thread/json-state.js';
import { DEFAULT_THREAD_TTL_MS } from '../../../src/thread/thread-store.js';

const warnings: string[] = [];
diag.setLogger(
  { error: () => {}, warn: (m: string) => void warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} },
  DiagLogLevel.WARN,
);

/** The settings of these variables and options. */
function settle(env: NodeJS.ProcessEnv, options: RegisterOptions = {}): Settings {
  return settleSettings(options, new Environment(env));
}

test('standard and own variables are read; blanks are absent', () => {
  const settings = settle({
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
  assert.equal(settings.destination.envEndpoint, 'http://collector:4318');
  assert.equal(settings.destination.tracesProtocol, 'grpc');
  assert.equal(settings.destination.logsProtocol, 'http/json');
  assert.equal(settings.destination.maxSpoolBytes, 1_048_576);
  assert.equal(settings.threadTtlMs, 600_000);
  assert.equal(settings.destination.keepJournal, true);
  assert.equal(settings.secret, undefined);
  assert.deepEqual(settings.spanBatch, { maxExportBatchSize: 128, scheduledDelayMillis: 1000 });
  assert.deepEqual(settings.logBatch, { maxExportBatchSize: 128, scheduledDelayMillis: 200 });
});

test('a bad value is warned about, by name, and ignored', () => {
  warnings.length = 0;
  const settings = settle({
    OTEL_SESSIONS_THREAD_TTL_MS: 'an hour',
    OTEL_SESSIONS_JOURNAL: 'maybe',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml',
    OTEL_SESSIONS_SPOOL_MAX_BYTES: 'lots',
    OTEL_BSP_MAX_QUEUE_SIZE: '-5',
  });
  assert.equal(settings.threadTtlMs, DEFAULT_THREAD_TTL_MS, 'the default holds');
  assert.equal(settings.destination.keepJournal, false, 'the default holds');
  assert.equal(settings.destination.tracesProtocol, undefined, "the exporter's default holds");
  assert.equal(settings.destination.maxSpoolBytes, undefined, "the spool's default holds");
  assert.deepEqual(settings.spanBatch, { maxExportBatchSize: 128, scheduledDelayMillis: 1000 }, 'the defaults hold');
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

test('a bad value is warned about once per environment, however often the settings are settled, and even when code overrides it', () => {
  warnings.length = 0;
  const env = new Environment({ OTEL_SESSIONS_THREAD_TTL_MS: 'an hour', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' });
  assert.equal(settleSettings({ threadTtlMs: 5000 }, env).threadTtlMs, 5000);
  assert.equal(settleSettings({}, env).threadTtlMs, DEFAULT_THREAD_TTL_MS);
  assert.deepEqual(warnings, [
    'otel-sessions: OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, grpc; ignoring it',
    'otel-sessions: OTEL_SESSIONS_THREAD_TTL_MS must be a positive whole number; ignoring it',
  ]);
});

test('each setting: the option wins over the variable, which wins over the default', () => {
  const env = {
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_SESSIONS_JOURNAL_DIR: '/env/journal',
    OTEL_SESSIONS_JOURNAL: 'true',
    OTEL_SESSIONS_SPOOL_MAX_BYTES: '2048',
    OTEL_SESSIONS_THREAD_TTL_MS: '60000',
    OTEL_SESSIONS_MAX_THREAD_BYTES: '4096',
    OTEL_SESSIONS_LOG_LEVEL: 'debug',
    OTEL_SESSIONS_LOG_CONSOLE: 'false',
    OTEL_SESSIONS_CONVENTION: 'langfuse',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
  };
  const none = settle({});
  const fromEnv = settle(env);
  const fromCode = settle(env, {
    serviceName: 'from-code',
    journalDir: '/code/journal',
    journal: false,
    maxSpoolBytes: 1024,
    threadTtlMs: 30_000,
    maxThreadBytes: 2048,
    logLevel: 'warn',
    logToConsole: true,
    convention: 'openinference',
    captureContent: false,
    flushOnExit: false,
    diagnostics: false,
  });
  const pick = (settings: Settings) => [
    settings.serviceName,
    settings.destination.journalDir,
    settings.destination.keepJournal,
    settings.destination.maxSpoolBytes,
    settings.threadTtlMs,
    settings.maxThreadBytes,
    settings.logLevel,
    settings.logToConsole,
    settings.convention,
    settings.captureContent,
    settings.flushOnExit,
    settings.diagnostics,
  ];
  assert.deepEqual(pick(none), [
    undefined,
    '.otel-sessions',
    false,
    undefined,
    DEFAULT_THREAD_TTL_MS,
    DEFAULT_MAX_THREAD_BYTES,
    'info',
    true,
    'otel',
    false,
    true,
    true,
  ]);
  assert.deepEqual(pick(fromEnv), [
    'from-env',
    '/env/journal',
    true,
    2048,
    60_000,
    4096,
    'debug',
    false,
    'langfuse',
    true,
    true,
    true,
  ]);
  assert.deepEqual(pick(fromCode), [
    'from-code',
    '/code/journal',
    false,
    1024,
    30_000,
    2048,
    'warn',
    true,
    'openinference',
    false,
    false,
    false,
  ]);
  assert.equal(
    settle({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }, { endpoint: 'http://code:4318' }).destination.endpoint,
    'http://code:4318',
  );
});

test('a short OTEL_SESSIONS_SECRET is not ignored: it fails at once, saying how to make one', () => {
  assert.throws(
    () => settle({ OTEL_SESSIONS_SECRET: 'too-short' }),
    /OTEL_SESSIONS_SECRET must be at least 32 characters \(it has 9\): make one with `openssl rand -base64 48`/,
  );
  const long = 'x'.repeat(32);
  assert.equal(settle({ OTEL_SESSIONS_SECRET: ` ${long} ` }).secret, long);
  assert.equal(settle({ NODE_ENV: 'production' }).production, true);
  assert.equal(settle({ NODE_ENV: 'development' }).production, false);
});

test('OTEL_SESSIONS_LOG_SPAN_EVENTS turns span events of log records on or off', () => {
  assert.equal(settle({ OTEL_SESSIONS_LOG_SPAN_EVENTS: 'false' }).logSpanEvents, false);
  assert.equal(settle({ OTEL_SESSIONS_LOG_SPAN_EVENTS: '1' }).logSpanEvents, true);
  assert.equal(settle({}).logSpanEvents, true, 'on by default');
});

test('OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER=none turn a signal off; otlp keeps it; others are warned about and taken as otlp', () => {
  warnings.length = 0;
  const off = settle({ OTEL_LOGS_EXPORTER: ' None ', OTEL_TRACES_EXPORTER: 'otlp' }).destination;
  assert.equal(off.logsOff, true);
  assert.equal(off.tracesOff, false);
  assert.equal(settle({}).destination.logsOff, false);
  assert.equal(settle({ OTEL_TRACES_EXPORTER: 'none' }).destination.tracesOff, true);
  assert.deepEqual(warnings, []);
  const other = settle({ OTEL_LOGS_EXPORTER: 'console,otlp' }).destination;
  assert.equal(other.logsOff, false);
  assert.match(warnings[0] ?? '', /OTEL_LOGS_EXPORTER=console is not supported \(only otlp and none\); exporting OTLP/);
});

test('OTEL_SESSIONS_EDGE and OTEL_SESSIONS_IGNORE_PATHS say where the HTTP edge applies; the code option wins', () => {
  warnings.length = 0;
  const env = new Environment({
    OTEL_SESSIONS_EDGE: 'false',
    OTEL_SESSIONS_IGNORE_PATHS: ' /health, /static/* ,metrics,',
  });
  assert.equal(settleSettings({}, env).edge, false, 'off from the environment');
  assert.deepEqual(settleSettings({ edge: true }, env).edge, { ignorePaths: ['/health', '/static/*'] });
  assert.deepEqual(warnings, ['otel-sessions: OTEL_SESSIONS_IGNORE_PATHS entries must start with /; ignoring metrics']);
  assert.deepEqual(settleSettings({ edge: { ignorePaths: ['/ping'] } }, env).edge, { ignorePaths: ['/ping'] });
  const on = new Environment({});
  assert.deepEqual(settleSettings({}, on).edge, { ignorePaths: undefined }, 'on by default');
  assert.equal(settleSettings({ edge: false }, on).edge, false);
});

test('OTEL_SESSIONS_REDIS_CLUSTER: the comma-separated URLs of Redis Cluster nodes; a bad entry is warned about (without its credentials) and left out', () => {
  warnings.length = 0;
  const settings = settle({
    OTEL_SESSIONS_REDIS_CLUSTER:
      ' redis://10.0.0.1:7000 ,rediss://user:secret@10.0.0.2:7001,, 10.0.0.3:7002,http://x:1,user:pw@10.0.0.4:7003',
  });
  assert.deepEqual(settings.redisCluster, ['redis://10.0.0.1:7000', 'rediss://user:secret@10.0.0.2:7001']);
  assert.equal(settings.redisUrl, undefined);
  assert.deepEqual(warnings, [
    'otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER entries must be redis:// or rediss:// URLs; ignoring 10.0.0.3:7002, http://x:1, ***@10.0.0.4:7003',
  ]);

  warnings.length = 0;
  assert.deepEqual(settle({ OTEL_SESSIONS_REDIS_CLUSTER: 'redis://127.0.0.1:7000' }).redisCluster, [
    'redis://127.0.0.1:7000',
  ]);
  assert.equal(settle({ OTEL_SESSIONS_REDIS_CLUSTER: ' , ' }).redisCluster, undefined, 'blank: absent');
  assert.equal(settle({}).redisCluster, undefined);
  assert.deepEqual(warnings, []);
});

test('OTEL_SESSIONS_REDIS_CLUSTER naming no node is ignored, with a warning; OTEL_SESSIONS_REDIS_URL then applies', () => {
  warnings.length = 0;
  const settings = settle({
    OTEL_SESSIONS_REDIS_CLUSTER: 'localhost:7000',
    OTEL_SESSIONS_REDIS_URL: 'redis://cache:6379',
  });
  assert.equal(settings.redisCluster, undefined);
  assert.equal(settings.redisUrl, 'redis://cache:6379');
  assert.deepEqual(warnings, [
    'otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER entries must be redis:// or rediss:// URLs; ignoring localhost:7000',
    'otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER names no Redis node; ignoring it',
  ]);
});

test('OTEL_SESSIONS_REDIS_CLUSTER wins over OTEL_SESSIONS_REDIS_URL, which is ignored with a warning', () => {
  warnings.length = 0;
  const env = new Environment({
    OTEL_SESSIONS_REDIS_CLUSTER: 'redis://node-a:7000,redis://node-b:7000',
    OTEL_SESSIONS_REDIS_URL: 'redis://cache:6379',
  });
  const settings = settleSettings({}, env);
  assert.deepEqual(settings.redisCluster, ['redis://node-a:7000', 'redis://node-b:7000']);
  assert.equal(settings.redisUrl, undefined);
  assert.deepEqual(
    [settings.redisCluster, settings.redisUrl],
    [['redis://node-a:7000', 'redis://node-b:7000'], undefined],
  );
  settleSettings({}, env);
  assert.deepEqual(
    warnings,
    ['otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER is set: ignoring OTEL_SESSIONS_REDIS_URL'],
    'once per environment',
  );
  assert.equal(settle({ OTEL_SESSIONS_REDIS_URL: ' redis://cache:6379 ' }).redisUrl, 'redis://cache:6379');
});

test('ended spans wait at most a second for the spool unless OTEL_BSP_SCHEDULE_DELAY says otherwise; log records keep the SDK default', () => {
  // What a SIGKILL can catch in the batch processors, before the spool has it.
  const settled = settle({});
  assert.equal(settled.spanBatch.scheduledDelayMillis, 1000);
  assert.equal(settled.logBatch.scheduledDelayMillis, undefined, "the SDK's 1 s");
  const told = settle({ OTEL_BSP_SCHEDULE_DELAY: '5000' });
  assert.equal(told.spanBatch.scheduledDelayMillis, 5000);
  assert.equal(told.spanBatch.maxExportBatchSize, 128, 'the other defaults stay');
});
