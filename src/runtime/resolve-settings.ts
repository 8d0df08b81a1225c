import type { EdgeOptions } from '../edge/edge-options.js';
import type { Convention } from '../session/conventions.js';
import type { ExportDestination } from '../export/choose-exporters.js';
import { DEFAULT_JOURNAL_DIR } from '../export/journal-writer.js';
import { DEFAULT_MAX_THREAD_BYTES } from '../thread/json-state.js';
import { DEFAULT_THREAD_TTL_MS } from '../thread/thread-store.js';
import type { BatchSettings, EnvSettings } from './env-settings.js';
import type { RegisterOptions } from './register-options.js';

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

/** Every setting of otel-sessions, settled: code first, then environment, then default. @internal */
export interface ResolvedSettings {
  serviceName: string | undefined;
  destination: ExportDestination;
  threadTtlMs: number;
  maxThreadBytes: number;
  redisUrl: string | undefined;
  /** The nodes of a Redis Cluster to keep threads in (then `redisUrl` is unset). */
  redisCluster: string[] | undefined;
  secret: string | undefined;
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
 * Where telemetry goes, from the code's options and the environment (the app's setting, and
 * the one `otel-sessions flush-spool` reads back). @internal
 */
export function exportDestination(
  options: Pick<RegisterOptions, 'endpoint' | 'journalDir' | 'journal' | 'maxSpoolBytes'>,
  env: EnvSettings,
): ExportDestination {
  return {
    // An endpoint given in code wins over every endpoint variable (chooseExporters).
    endpoint: options.endpoint,
    envEndpoint: env.endpoint,
    tracesUrl: env.tracesEndpoint,
    logsUrl: env.logsEndpoint,
    tracesProtocol: env.tracesProtocol,
    logsProtocol: env.logsProtocol,
    journalDir: options.journalDir ?? env.journalDir ?? DEFAULT_JOURNAL_DIR,
    keepJournal: options.journal ?? env.keepJournal ?? false,
    maxSpoolBytes: options.maxSpoolBytes ?? env.spoolMaxBytes,
    tracesOff: env.tracesOff,
    logsOff: env.logsOff,
  };
}

/** Merges options, environment and defaults, in that order, into one plain object. @internal */
export function resolveSettings(options: RegisterOptions, env: EnvSettings): ResolvedSettings {
  return {
    serviceName: options.serviceName ?? env.serviceName,
    destination: exportDestination(options, env),
    threadTtlMs: options.threadTtlMs ?? env.threadTtlMs ?? DEFAULT_THREAD_TTL_MS,
    maxThreadBytes: options.maxThreadBytes ?? env.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES,
    redisUrl: env.redisUrl,
    redisCluster: env.redisCluster,
    secret: env.secret,
    production: env.production,
    logLevel: options.logLevel ?? env.logLevel ?? 'info',
    logToConsole: options.logToConsole ?? env.logToConsole ?? true,
    logSpanEvents: options.logSpanEvents ?? env.logSpanEvents ?? true,
    spanBatch: {
      maxExportBatchSize: EXPORT_BATCH_SIZE,
      scheduledDelayMillis: SPAN_SCHEDULE_DELAY_MS,
      ...env.spanBatch,
    },
    logBatch: { maxExportBatchSize: EXPORT_BATCH_SIZE, ...env.logBatch },
    convention: options.convention ?? env.convention ?? 'otel',
    captureContent: options.captureContent ?? env.captureContent ?? false,
    edge: edgeSettings(options.edge, env),
    flushOnExit: options.flushOnExit ?? true,
    diagnostics: options.diagnostics ?? true,
  };
}

/** The edge: off when the option or OTEL_SESSIONS_EDGE says so; its ignored paths from the option, else the environment. */
function edgeSettings(option: RegisterOptions['edge'], env: EnvSettings): EdgeOptions | false {
  if (option === false || (option === undefined && env.edge === false)) return false;
  const given = option === true || option === undefined ? {} : option;
  return { ...given, ignorePaths: given.ignorePaths ?? env.ignorePaths };
}
