import { diag } from '@opentelemetry/api';
import { OTLP_PROTOCOLS, type OtlpProtocol } from '../export/otlp-protocol.js';
import { CONVENTIONS, type Convention } from '../session/conventions.js';
import { withoutCredentials } from '../internal/url-credentials.js';
import { checkedSecret } from './signing-secret.js';

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
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL. */
  tracesProtocol: OtlpProtocol | undefined;
  /** OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL. */
  logsProtocol: OtlpProtocol | undefined;
  /** OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER is `none`: that signal is not exported at all. */
  tracesOff: boolean;
  logsOff: boolean;
  /** OTEL_SESSIONS_SPOOL_MAX_BYTES: the cap of each signal's spool on disk. */
  spoolMaxBytes: number | undefined;
  journalDir: string | undefined;
  keepJournal: boolean | undefined;
  /** OTEL_SESSIONS_REDIS_URL: one Redis to keep threads in (unless `redisCluster` is set). */
  redisUrl: string | undefined;
  /**
   * OTEL_SESSIONS_REDIS_CLUSTER: a Redis Cluster to keep threads in, as the comma-separated
   * URLs of some of its nodes (`redis://host:port`, or `rediss://` for TLS; one is enough to
   * find the others, more let a process start while one is down). It wins over
   * OTEL_SESSIONS_REDIS_URL (which is then ignored, with a warning).
   */
  redisCluster: string[] | undefined;
  threadTtlMs: number | undefined;
  maxThreadBytes: number | undefined;
  secret: string | undefined;
  /** Whether NODE_ENV is `production`. */
  production: boolean;
  logLevel: string | undefined;
  logToConsole: boolean | undefined;
  logSpanEvents: boolean | undefined;
  /** OTEL_SESSIONS_CONVENTION: the names the IDs are written under. */
  convention: Convention | undefined;
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: record agents' input and output. */
  captureContent: boolean | undefined;
  /** OTEL_SESSIONS_EDGE: whether every node:http request is a session. */
  edge: boolean | undefined;
  /** OTEL_SESSIONS_IGNORE_PATHS: paths that are no session (comma-separated; a trailing `*` makes a prefix). */
  ignorePaths: string[] | undefined;
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
}

/**
 * Reads the `OTEL_*` and `OTEL_SESSIONS_*` variables (and NODE_ENV); a bad value is warned
 * about and ignored, except OTEL_SESSIONS_SECRET. The official OTLP exporters read their own
 * headers, compression, timeout and certificate variables.
 * @throws {Error} when OTEL_SESSIONS_SECRET is set but shorter than 32 characters.
 * @internal
 */
export function readEnvSettings(env: NodeJS.ProcessEnv): EnvSettings {
  const anyProtocol = protocol('OTEL_EXPORTER_OTLP_PROTOCOL', env);
  const redisCluster = redisUrlList('OTEL_SESSIONS_REDIS_CLUSTER', env.OTEL_SESSIONS_REDIS_CLUSTER);
  const redisUrl = text(env.OTEL_SESSIONS_REDIS_URL);
  if (redisCluster && redisUrl)
    diag.warn('otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER is set: ignoring OTEL_SESSIONS_REDIS_URL');
  return {
    serviceName: text(env.OTEL_SERVICE_NAME),
    endpoint: text(env.OTEL_EXPORTER_OTLP_ENDPOINT),
    tracesEndpoint: text(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    logsEndpoint: text(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT),
    tracesProtocol: protocol('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', env) ?? anyProtocol,
    logsProtocol: protocol('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', env) ?? anyProtocol,
    tracesOff: exporterIsNone('OTEL_TRACES_EXPORTER', env),
    logsOff: exporterIsNone('OTEL_LOGS_EXPORTER', env),
    spoolMaxBytes: positiveIntegerVariable('OTEL_SESSIONS_SPOOL_MAX_BYTES', env.OTEL_SESSIONS_SPOOL_MAX_BYTES),
    journalDir: text(env.OTEL_SESSIONS_JOURNAL_DIR),
    keepJournal: flag('OTEL_SESSIONS_JOURNAL', env.OTEL_SESSIONS_JOURNAL),
    redisUrl: redisCluster ? undefined : redisUrl,
    redisCluster,
    threadTtlMs: positiveIntegerVariable('OTEL_SESSIONS_THREAD_TTL_MS', env.OTEL_SESSIONS_THREAD_TTL_MS),
    maxThreadBytes: positiveIntegerVariable('OTEL_SESSIONS_MAX_THREAD_BYTES', env.OTEL_SESSIONS_MAX_THREAD_BYTES),
    secret: checkedSecret(env.OTEL_SESSIONS_SECRET),
    production: text(env.NODE_ENV) === 'production',
    logLevel: text(env.OTEL_SESSIONS_LOG_LEVEL),
    logToConsole: flag('OTEL_SESSIONS_LOG_CONSOLE', env.OTEL_SESSIONS_LOG_CONSOLE),
    logSpanEvents: flag('OTEL_SESSIONS_LOG_SPAN_EVENTS', env.OTEL_SESSIONS_LOG_SPAN_EVENTS),
    convention: convention(env.OTEL_SESSIONS_CONVENTION),
    captureContent: flag(
      'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
      env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    ),
    edge: flag('OTEL_SESSIONS_EDGE', env.OTEL_SESSIONS_EDGE),
    ignorePaths: pathList('OTEL_SESSIONS_IGNORE_PATHS', env.OTEL_SESSIONS_IGNORE_PATHS),
    spanBatch: batch('OTEL_BSP', env),
    logBatch: batch('OTEL_BLRP', env),
  };
}

function batch(prefix: 'OTEL_BSP' | 'OTEL_BLRP', env: NodeJS.ProcessEnv): BatchSettings {
  const settings: BatchSettings = {};
  const read = (key: keyof BatchSettings, suffix: string): void => {
    const value = positiveIntegerVariable(`${prefix}_${suffix}`, env[`${prefix}_${suffix}`]);
    if (value !== undefined) settings[key] = value;
  };
  read('maxQueueSize', 'MAX_QUEUE_SIZE');
  read('maxExportBatchSize', 'MAX_EXPORT_BATCH_SIZE');
  read('scheduledDelayMillis', 'SCHEDULE_DELAY');
  read('exportTimeoutMillis', 'EXPORT_TIMEOUT');
  return settings;
}

/** An OTLP protocol variable; an unknown one is warned about and ignored (the default applies). */
function protocol(name: string, env: NodeJS.ProcessEnv): OtlpProtocol | undefined {
  const value = text(env[name]);
  if (value === undefined) return undefined;
  if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
  diag.warn(`otel-sessions: ${name} must be one of ${OTLP_PROTOCOLS.join(', ')}; ignoring it`);
  return undefined;
}

/**
 * Whether a signal's exporter variable (OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER) turns its
 * export off: `none`. `otlp` (the default) exports; any other exporter name is warned about and
 * taken as `otlp`, the only one otel-sessions sets up.
 */
function exporterIsNone(name: string, env: NodeJS.ProcessEnv): boolean {
  const names = text(env[name])
    ?.split(',')
    .map((value) => value.trim().toLowerCase())
    .filter((value) => value !== '');
  if (names === undefined || names.length === 0) return false;
  if (names.length === 1 && names[0] === 'none') return true;
  const others = names.filter((value) => value !== 'otlp' && value !== 'none');
  if (others.length > 0)
    diag.warn(`otel-sessions: ${name}=${others.join(',')} is not supported (only otlp and none); exporting OTLP`);
  return false;
}

/** OTEL_SESSIONS_CONVENTION; an unknown one is warned about and ignored (the default applies). */
function convention(value: string | undefined): Convention | undefined {
  const name = text(value)?.toLowerCase();
  if (name === undefined) return undefined;
  if ((CONVENTIONS as readonly string[]).includes(name)) return name as Convention;
  diag.warn(`otel-sessions: OTEL_SESSIONS_CONVENTION must be one of ${CONVENTIONS.join(', ')}; ignoring it`);
  return undefined;
}

/** A comma-separated list of paths, each starting with `/`; one that does not is warned about and left out. */
function pathList(name: string, value: string | undefined): string[] | undefined {
  const entries = text(value)
    ?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries === undefined) return undefined;
  const bad = entries.filter((entry) => !entry.startsWith('/'));
  if (bad.length > 0) diag.warn(`otel-sessions: ${name} entries must start with /; ignoring ${bad.join(', ')}`);
  return entries.filter((entry) => entry.startsWith('/'));
}

/**
 * A comma-separated list of Redis URLs (`redis://` or `rediss://`); an entry that is not one is
 * warned about and left out, and a list left empty by that is absent (warned about too).
 */
function redisUrlList(name: string, value: string | undefined): string[] | undefined {
  const entries = text(value)
    ?.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries === undefined || entries.length === 0) return undefined;
  const isRedisUrl = (entry: string): boolean =>
    URL.canParse(entry) && ['redis:', 'rediss:'].includes(new URL(entry).protocol);
  const bad = entries.filter((entry) => !isRedisUrl(entry));
  if (bad.length > 0)
    diag.warn(
      `otel-sessions: ${name} entries must be redis:// or rediss:// URLs; ignoring ${bad.map(withoutCredentials).join(', ')}`,
    );
  const urls = entries.filter(isRedisUrl);
  if (urls.length > 0) return urls;
  diag.warn(`otel-sessions: ${name} names no Redis node; ignoring it`);
  return undefined;
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

/** A variable that must be a positive whole number: its value, or `undefined` (warned about) when it is not one. */
function positiveIntegerVariable(name: string, value: string | undefined): number | undefined {
  const trimmed = text(value);
  if (trimmed === undefined) return undefined;
  const number = Number(trimmed);
  if (Number.isSafeInteger(number) && number > 0) return number;
  diag.warn(`otel-sessions: ${name} must be a positive whole number; ignoring it`);
  return undefined;
}
