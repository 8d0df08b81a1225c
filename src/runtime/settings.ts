import { diag } from '@opentelemetry/api';
import type { EdgeOptions } from '../edge/edge-options.js';
import type { ExportDestination } from '../export/choose-exporters.js';
import { DEFAULT_JOURNAL_DIR } from '../export/journal-writer.js';
import { OTLP_PROTOCOLS, type OtlpProtocol } from '../export/otlp-protocol.js';
import { processPart } from '../internal/process-state.js';
import { withoutCredentials } from '../internal/url-credentials.js';
import { CONVENTIONS, type Convention } from '../session/conventions.js';
import { DEFAULT_MAX_THREAD_BYTES } from '../thread/json-state.js';
import { DEFAULT_THREAD_TTL_MS } from '../thread/thread-store.js';
import type { RegisterOptions } from './register-options.js';
import { checkedSecret } from './signing-secret.js';

/**
 * Spans or log records per export: a quarter of the SDK's 512, so that encoding one batch
 * never holds the event loop long enough to show in request latency (larger batches showed in
 * p99 under load). OTEL_BSP_MAX_EXPORT_BATCH_SIZE and OTEL_BLRP_MAX_EXPORT_BATCH_SIZE
 * override it.
 */
const EXPORT_BATCH_SIZE = 128;

/**
 * How long an ended span may wait in the batch processor before it goes to the spool on disk:
 * one second, as log records wait (the SDK's default for spans is 5 s). A SIGKILL loses what
 * is still waiting there, so this bounds what a killed process loses; under load a batch fills
 * sooner anyway. OTEL_BSP_SCHEDULE_DELAY overrides it.
 */
const SPAN_SCHEDULE_DELAY_MS = 1000;

/** Batch processor settings (OTEL_BSP_* for spans, OTEL_BLRP_* for logs); absent ones keep the SDK default. @internal */
export interface BatchSettings {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/** Every setting of otel-sessions, settled by {@link settleSettings}: code first, then environment, then default. @internal */
export interface Settings {
  serviceName: string | undefined;
  /** Where telemetry goes: the collector's endpoints and protocols, the journal, the spool's cap. */
  destination: ExportDestination;
  /** The default thread store's TTL (a store given in code keeps its own). */
  threadTtlMs: number;
  maxThreadBytes: number;
  /** One Redis to keep threads in (unset when `redisCluster` is set). */
  redisUrl: string | undefined;
  /** The nodes of a Redis Cluster to keep threads in. */
  redisCluster: string[] | undefined;
  /** OTEL_SESSIONS_SECRET, checked to be long enough. */
  secret: string | undefined;
  /** Whether NODE_ENV is `production`. */
  production: boolean;
  logLevel: string;
  logToConsole: boolean;
  logSpanEvents: boolean;
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
  convention: Convention;
  captureContent: boolean;
  /** The HTTP edge's options, or `false` when node:http requests are not made sessions. */
  edge: EdgeOptions | false;
  flushOnExit: boolean;
  diagnostics: boolean;
}

/**
 * Settles every setting, once, in one place: each line names the option, the environment
 * variable and the default, in that order of precedence. A bad environment value is warned
 * about (once per {@link Environment}) and ignored, except OTEL_SESSIONS_SECRET. The official
 * OTLP exporters read their own headers, compression, timeout and certificate variables.
 * @throws {Error} when OTEL_SESSIONS_SECRET is set but shorter than 32 characters.
 * @internal
 */
export function settleSettings(options: RegisterOptions, env: Environment): Settings {
  const anyProtocol = env.read('OTEL_EXPORTER_OTLP_PROTOCOL', otlpProtocol);
  const redisCluster = env.read('OTEL_SESSIONS_REDIS_CLUSTER', redisUrlList);
  return {
    serviceName: first(options.serviceName, env.text('OTEL_SERVICE_NAME'), undefined),
    destination: {
      // An endpoint given in code wins over every endpoint variable (chooseExporters).
      endpoint: options.endpoint,
      envEndpoint: env.text('OTEL_EXPORTER_OTLP_ENDPOINT'),
      tracesUrl: env.text('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      logsUrl: env.text('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'),
      tracesProtocol: env.read('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', otlpProtocol) ?? anyProtocol,
      logsProtocol: env.read('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', otlpProtocol) ?? anyProtocol,
      tracesOff: env.read('OTEL_TRACES_EXPORTER', exporterIsNone) ?? false,
      logsOff: env.read('OTEL_LOGS_EXPORTER', exporterIsNone) ?? false,
      journalDir: first(options.journalDir, env.text('OTEL_SESSIONS_JOURNAL_DIR'), DEFAULT_JOURNAL_DIR),
      keepJournal: first(options.journal, env.flag('OTEL_SESSIONS_JOURNAL'), false),
      // Unset: the spool's own default (64 MiB per signal).
      maxSpoolBytes: first(options.maxSpoolBytes, env.positiveInteger('OTEL_SESSIONS_SPOOL_MAX_BYTES'), undefined),
    },
    threadTtlMs: first(options.threadTtlMs, env.positiveInteger('OTEL_SESSIONS_THREAD_TTL_MS'), DEFAULT_THREAD_TTL_MS),
    maxThreadBytes: first(
      options.maxThreadBytes,
      env.positiveInteger('OTEL_SESSIONS_MAX_THREAD_BYTES'),
      DEFAULT_MAX_THREAD_BYTES,
    ),
    redisCluster,
    redisUrl: env.read('OTEL_SESSIONS_REDIS_URL', (url, name) => {
      if (redisCluster === undefined) return url;
      diag.warn(`otel-sessions: OTEL_SESSIONS_REDIS_CLUSTER is set: ignoring ${name}`);
      return undefined;
    }),
    secret: env.read('OTEL_SESSIONS_SECRET', checkedSecret),
    production: env.text('NODE_ENV') === 'production',
    logLevel: first(options.logLevel, env.text('OTEL_SESSIONS_LOG_LEVEL'), 'info'),
    logToConsole: first(options.logToConsole, env.flag('OTEL_SESSIONS_LOG_CONSOLE'), true),
    logSpanEvents: first(options.logSpanEvents, env.flag('OTEL_SESSIONS_LOG_SPAN_EVENTS'), true),
    spanBatch: batch(env, 'OTEL_BSP', {
      maxExportBatchSize: EXPORT_BATCH_SIZE,
      scheduledDelayMillis: SPAN_SCHEDULE_DELAY_MS,
    }),
    logBatch: batch(env, 'OTEL_BLRP', { maxExportBatchSize: EXPORT_BATCH_SIZE }),
    convention: first(options.convention, env.read('OTEL_SESSIONS_CONVENTION', convention), 'otel'),
    captureContent: first(
      options.captureContent,
      env.flag('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'),
      false,
    ),
    edge: edgeSettings(options.edge, env.flag('OTEL_SESSIONS_EDGE'), env.read('OTEL_SESSIONS_IGNORE_PATHS', pathList)),
    flushOnExit: first(options.flushOnExit, undefined, true),
    diagnostics: diagnosticsOn(options),
  };
}

/**
 * Whether OpenTelemetry's warnings and errors are printed (code only, default on): known
 * before the environment is read, so that its warnings are printed. @internal
 */
export function diagnosticsOn(options: RegisterOptions): boolean {
  return first(options.diagnostics, undefined, true);
}

/** The option, else the environment's value, else the default. Both are read first, so a bad variable is reported even when code overrides it. */
function first<T>(option: T | undefined, fromEnv: T | undefined, fallback: T): T {
  return option ?? fromEnv ?? fallback;
}

/**
 * The environment variables, each read, trimmed (blank is absent), checked and parsed at its
 * first read and kept: a bad value is warned about once, however often the settings are settled.
 * @internal
 */
export class Environment {
  private readonly values = new Map<string, unknown>();

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /**
   * Variable `name`, parsed by `parse` at its first read (which warns about a bad value and
   * answers `undefined`); `undefined` when unset or blank.
   */
  read<T>(name: string, parse: (value: string, name: string) => T | undefined): T | undefined {
    if (this.values.has(name)) return this.values.get(name) as T | undefined;
    const text = this.env[name]?.trim();
    const value = text ? parse(text, name) : undefined;
    this.values.set(name, value);
    return value;
  }

  /** A text variable. */
  text(name: string): string | undefined {
    return this.read(name, (value) => value);
  }

  /** `true`/`1` or `false`/`0` (any case); anything else is warned about and ignored. */
  flag(name: string): boolean | undefined {
    return this.read(name, flag);
  }

  /** A positive whole number; anything else is warned about and ignored. */
  positiveInteger(name: string): number | undefined {
    return this.read(name, positiveInteger);
  }
}

/**
 * The environment of this process (`process.env`), read once per process (so that a bad value
 * is reported once), shared by the ESM and CommonJS builds. Only the entry points' code
 * (`registerSessions`, `sessionsConfiguration`, the runtime made on first use) calls this. @internal
 */
export function processEnvironment(): Environment {
  return processPart('settings', () => ({ environment: new Environment(process.env) })).environment;
}

/** The batch settings of OTEL_BSP_* or OTEL_BLRP_*, over `defaults`. */
function batch(env: Environment, prefix: 'OTEL_BSP' | 'OTEL_BLRP', defaults: BatchSettings): BatchSettings {
  const settings: BatchSettings = { ...defaults };
  const read = (key: keyof BatchSettings, suffix: string): void => {
    const value = env.positiveInteger(`${prefix}_${suffix}`);
    if (value !== undefined) settings[key] = value;
  };
  read('maxQueueSize', 'MAX_QUEUE_SIZE');
  read('maxExportBatchSize', 'MAX_EXPORT_BATCH_SIZE');
  read('scheduledDelayMillis', 'SCHEDULE_DELAY');
  read('exportTimeoutMillis', 'EXPORT_TIMEOUT');
  return settings;
}

/**
 * The edge: on unless the option or OTEL_SESSIONS_EDGE says `false`; its ignored paths from
 * the option, else OTEL_SESSIONS_IGNORE_PATHS.
 */
function edgeSettings(
  option: RegisterOptions['edge'],
  fromEnv: boolean | undefined,
  ignorePaths: string[] | undefined,
): EdgeOptions | false {
  if (option === false || (option === undefined && fromEnv === false)) return false;
  const given = option === true || option === undefined ? {} : option;
  return { ...given, ignorePaths: given.ignorePaths ?? ignorePaths };
}

/** An OTLP protocol; an unknown one is warned about and ignored (the default applies). */
function otlpProtocol(value: string, name: string): OtlpProtocol | undefined {
  if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
  diag.warn(`otel-sessions: ${name} must be one of ${OTLP_PROTOCOLS.join(', ')}; ignoring it`);
  return undefined;
}

/**
 * Whether a signal's exporter variable (OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER) turns its
 * export off: `none`. `otlp` (the default) exports; any other exporter name is warned about and
 * taken as `otlp`, the only one otel-sessions sets up.
 */
function exporterIsNone(value: string, name: string): boolean {
  const names = value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  if (names.length === 0) return false;
  if (names.length === 1 && names[0] === 'none') return true;
  const others = names.filter((entry) => entry !== 'otlp' && entry !== 'none');
  if (others.length > 0)
    diag.warn(`otel-sessions: ${name}=${others.join(',')} is not supported (only otlp and none); exporting OTLP`);
  return false;
}

/** OTEL_SESSIONS_CONVENTION; an unknown one is warned about and ignored (the default applies). */
function convention(value: string, name: string): Convention | undefined {
  const lower = value.toLowerCase();
  if ((CONVENTIONS as readonly string[]).includes(lower)) return lower as Convention;
  diag.warn(`otel-sessions: ${name} must be one of ${CONVENTIONS.join(', ')}; ignoring it`);
  return undefined;
}

/** A comma-separated list of paths, each starting with `/`; one that does not is warned about and left out. */
function pathList(value: string, name: string): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const bad = entries.filter((entry) => !entry.startsWith('/'));
  if (bad.length > 0) diag.warn(`otel-sessions: ${name} entries must start with /; ignoring ${bad.join(', ')}`);
  return entries.filter((entry) => entry.startsWith('/'));
}

/**
 * A comma-separated list of Redis URLs (`redis://` or `rediss://`); an entry that is not one is
 * warned about and left out, and a list left empty by that is absent (warned about too).
 */
function redisUrlList(value: string, name: string): string[] | undefined {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
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

function flag(value: string, name: string): boolean | undefined {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  diag.warn(`otel-sessions: ${name} must be true or false; ignoring it`);
  return undefined;
}

/** A positive whole number, or `undefined` (warned about) when the value is not one. */
function positiveInteger(value: string, name: string): number | undefined {
  const number = Number(value);
  if (Number.isSafeInteger(number) && number > 0) return number;
  diag.warn(`otel-sessions: ${name} must be a positive whole number; ignoring it`);
  return undefined;
}
