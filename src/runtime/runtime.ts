import type winston from 'winston';
import { systemClock, type Clock } from '../internal/clock.js';
import { once } from '../internal/once.js';
import { RateLimitedWarnings } from '../internal/rate-limited-warning.js';
import { createLogger } from '../logging/create-logger.js';
import type { Convention } from '../session/conventions.js';
import { RunningSessions } from '../session/running-sessions.js';
import { runtimePart, type SessionsRuntime } from '../session/sessions-runtime.js';
import { DEFAULT_MAX_THREAD_BYTES } from '../thread/json-state.js';
import { LazyThreadStore } from '../thread/lazy-thread-store.js';
import { MemoryThreadStore } from '../thread/memory-thread-store.js';
import { RedisThreadStore } from '../thread/redis-thread-store.js';
import { SqliteThreadStore } from '../thread/sqlite-thread-store.js';
import { StoreOutage } from '../thread/store-outage.js';
import type { ThreadStore } from '../thread/thread-store.js';
import { processEnvironment, settleSettings, type Settings } from './settings.js';
import { resolveSigningSecret } from './signing-secret.js';

/** The parts a runtime is made of. @internal */
export interface SessionsRuntimeParts {
  /** Where threads live; its `ttlMs` is the threads' (and the thread cookie's) lifetime. */
  threadStore: ThreadStore;
  /** Made by `registerSessions` or `sessionsConfiguration`. @default false */
  configured?: boolean;
  /** The logger, or how to make it on first use (after an SDK has started and instrumented winston). */
  logger: winston.Logger | (() => winston.Logger);
  /**
   * The secret that signs thread tokens, or how to settle it on first use: a runtime made from
   * settings settles it by the rules of the signing secret (`resolveSigningSecret`).
   */
  secret: string | (() => string);
  /** @default 1048576 (1 MiB) */
  maxThreadBytes?: number;
  /** @default 'otel' */
  convention?: Convention;
  /** @default false */
  captureContent?: boolean;
  /** @default Date.now */
  clock?: Clock;
  /** What writes request-triggered warnings. @default one kind each at most once a minute */
  warnings?: RateLimitedWarnings;
}

/** Makes a runtime; its outage reports go to `logger`, which is made on first use when given as a function. @internal */
export function createRuntime(parts: SessionsRuntimeParts): SessionsRuntime {
  const { logger: given, secret } = parts;
  const logger = typeof given === 'function' ? once(given) : (): winston.Logger => given;
  return {
    threadStore: parts.threadStore,
    configured: parts.configured ?? false,
    get logger() {
      return logger();
    },
    signingSecret: typeof secret === 'string' ? () => secret : once(secret),
    maxThreadBytes: parts.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES,
    running: new RunningSessions(),
    convention: parts.convention ?? 'otel',
    captureContent: parts.captureContent ?? false,
    clock: parts.clock ?? systemClock,
    warnings: parts.warnings ?? new RateLimitedWarnings(),
    storeOutage: new StoreOutage(
      {
        down: (message, error) =>
          logger().error(message, { error: error instanceof Error ? error.message : String(error) }),
        back: (message) => logger().warn(message),
      },
      () => (parts.threadStore as { available?: boolean }).available,
    ),
  };
}

/**
 * The runtime the settings describe: the given thread store, else a Redis one when a Redis
 * Cluster or a Redis URL is configured (the cluster first), else (`configured`: made by
 * `sessionsConfiguration`, whose span processors renew its threads) a SQLite one in the
 * journal folder, made at its first use, or (a runtime made from the environment alone) one
 * in memory; the logger at the configured level; the signing secret by its rules. @internal
 */
export function runtimeFromSettings(
  settings: Settings,
  threadStore?: ThreadStore,
  { configured = false }: { configured?: boolean } = {},
): SessionsRuntime {
  // Made on first use: by then an SDK started after this call has instrumented winston.
  const logger = once(() =>
    createLogger({ level: settings.logLevel, console: settings.logToConsole, spanEvents: settings.logSpanEvents }),
  );
  return createRuntime({
    threadStore: threadStore ?? defaultThreadStore(settings, configured),
    configured,
    maxThreadBytes: settings.maxThreadBytes,
    logger,
    secret: () =>
      resolveSigningSecret({
        configured: settings.secret,
        production: settings.production,
        journalDir: settings.destination.journalDir,
        warn: (message) => logger().warn(message),
      }),
    convention: settings.convention,
    captureContent: settings.captureContent,
  });
}

/** The thread store the settings name; the TTL goes to the store, which alone keeps it. */
function defaultThreadStore(settings: Settings, persistent: boolean): ThreadStore {
  const { threadTtlMs: ttlMs, maxThreadBytes } = settings;
  if (settings.redisCluster) return new RedisThreadStore({ cluster: settings.redisCluster, ttlMs, maxThreadBytes });
  if (settings.redisUrl) return new RedisThreadStore({ url: settings.redisUrl, ttlMs, maxThreadBytes });
  if (!persistent) return new MemoryThreadStore({ ttlMs, maxThreadBytes });
  const dir = settings.destination.journalDir;
  return new LazyThreadStore((lazyTtlMs) => new SqliteThreadStore({ dir, ttlMs: lazyTtlMs, maxThreadBytes }), ttlMs);
}

/**
 * Makes `runtime` the process's runtime: the one `sessions()`, the framework adapters and
 * agents use from now on (in the process-wide slot, shared by the ESM and CommonJS builds). @internal
 */
export function setRuntime(runtime: SessionsRuntime): void {
  runtimePart().runtime = runtime;
}

/**
 * The runtime of an app that configured none (`sessions()` or `createAgent` with an SDK of its
 * own, without `sessionsConfiguration`): from the environment alone, threads in memory.
 */
function runtimeFromEnvironment(): SessionsRuntime {
  return runtimeFromSettings(settleSettings({}, processEnvironment()));
}

// Loading this module is what lets the floors below it (adapters, agents) find a runtime when
// none was configured: they ask `currentRuntime()` (session/sessions-runtime.ts), which makes
// one with this. The entry points that expose those floors import this module.
runtimePart().fromEnvironment ??= runtimeFromEnvironment;
