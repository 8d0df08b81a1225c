import { diag } from '@opentelemetry/api';
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';

/** Batch processor settings (OTEL_BSP_* for spans, OTEL_BLRP_* for logs); absent ones keep the SDK default. @internal */
export interface BatchSettings {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/** What the environment configures; read once, in the entry points only. @internal */
export interface EnvSettings {
  serviceName: string | undefined;
  endpoint: string | undefined;
  tracesEndpoint: string | undefined;
  logsEndpoint: string | undefined;
  headers: Record<string, string>;
  journalDir: string | undefined;
  keepJournal: boolean | undefined;
  redisUrl: string | undefined;
  threadTtlMs: number | undefined;
  secret: string | undefined;
  logLevel: string | undefined;
  logToConsole: boolean | undefined;
  logSpanEvents: boolean | undefined;
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
}

/** Reads the `OTEL_*` and `OTEL_SESSIONS_*` variables; a bad value is warned about and ignored. @internal */
export function readEnvSettings(env: NodeJS.ProcessEnv): EnvSettings {
  return {
    serviceName: text(env.OTEL_SERVICE_NAME),
    endpoint: text(env.OTEL_EXPORTER_OTLP_ENDPOINT),
    tracesEndpoint: text(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    logsEndpoint: text(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT),
    headers: headerList(env.OTEL_EXPORTER_OTLP_HEADERS),
    journalDir: text(env.OTEL_SESSIONS_JOURNAL_DIR),
    keepJournal: flag('OTEL_SESSIONS_JOURNAL', env.OTEL_SESSIONS_JOURNAL),
    redisUrl: text(env.OTEL_SESSIONS_REDIS_URL),
    threadTtlMs: positiveInteger('OTEL_SESSIONS_THREAD_TTL_MS', env.OTEL_SESSIONS_THREAD_TTL_MS),
    secret: text(env.OTEL_SESSIONS_SECRET),
    logLevel: text(env.OTEL_SESSIONS_LOG_LEVEL),
    logToConsole: flag('OTEL_SESSIONS_LOG_CONSOLE', env.OTEL_SESSIONS_LOG_CONSOLE),
    logSpanEvents: flag('OTEL_SESSIONS_LOG_SPAN_EVENTS', env.OTEL_SESSIONS_LOG_SPAN_EVENTS),
    spanBatch: batch('OTEL_BSP', env),
    logBatch: batch('OTEL_BLRP', env),
  };
}

function batch(prefix: 'OTEL_BSP' | 'OTEL_BLRP', env: NodeJS.ProcessEnv): BatchSettings {
  const settings: BatchSettings = {};
  const read = (key: keyof BatchSettings, suffix: string): void => {
    const value = positiveInteger(`${prefix}_${suffix}`, env[`${prefix}_${suffix}`]);
    if (value !== undefined) settings[key] = value;
  };
  read('maxQueueSize', 'MAX_QUEUE_SIZE');
  read('maxExportBatchSize', 'MAX_EXPORT_BATCH_SIZE');
  read('scheduledDelayMillis', 'SCHEDULE_DELAY');
  read('exportTimeoutMillis', 'EXPORT_TIMEOUT');
  return settings;
}

/** `k1=v1,k2=v2` with URL-encoded values, as OTEL_EXPORTER_OTLP_HEADERS has them. */
function headerList(value: string | undefined): Record<string, string> {
  const headers = parseKeyPairsIntoRecord(text(value));
  const entries =
    text(value)
      ?.split(',')
      .filter((entry) => entry.trim() !== '').length ?? 0;
  if (Object.keys(headers).length < entries) {
    diag.warn(
      'otel-sessions: OTEL_EXPORTER_OTLP_HEADERS has entries that are not name=value (URL-encoded); ignoring them',
    );
  }
  return headers;
}

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function flag(name: string, value: string | undefined): boolean | undefined {
  const trimmed = text(value)?.toLowerCase();
  if (trimmed === undefined) return undefined;
  if (trimmed === 'true' || trimmed === '1') return true;
  if (trimmed === 'false' || trimmed === '0') return false;
  diag.warn(`otel-sessions: ${name} must be true or false; ignoring it`);
  return undefined;
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  const trimmed = text(value);
  if (trimmed === undefined) return undefined;
  const number = Number(trimmed);
  if (Number.isSafeInteger(number) && number > 0) return number;
  diag.warn(`otel-sessions: ${name} must be a positive whole number; ignoring it`);
  return undefined;
}
