import { once } from '../internal/once.js';
import { createLogger } from '../logging/create-logger.js';
import { MemoryThreadStore } from '../thread/memory-thread-store.js';
import { LazyThreadStore } from '../thread/lazy-thread-store.js';
import { RedisThreadStore } from '../thread/redis-thread-store.js';
import { SqliteThreadStore } from '../thread/sqlite-thread-store.js';
import type { ThreadStore } from '../thread/thread-store.js';
import type { ResolvedSettings } from './resolve-settings.js';
import { resolveSigningSecret } from './signing-secret.js';
import { createRuntime, type SessionsRuntime } from './sessions-runtime.js';

/**
 * The runtime the settings describe: the given thread store, else a Redis one when a Redis
 * Cluster or a Redis URL is configured (the cluster first), else (`configured`: made by
 * `sessionsConfiguration`, whose span processors renew its threads) a SQLite one in the
 * journal folder, made at its first use, or (a runtime made from the environment alone) one
 * in memory; and the logger at the configured level. @internal
 */
export function runtimeFromSettings(
  settings: ResolvedSettings,
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
    threadTtlMs: settings.threadTtlMs,
    convention: settings.convention,
    captureContent: settings.captureContent,
  });
}

function defaultThreadStore(settings: ResolvedSettings, persistent: boolean): ThreadStore {
  const { threadTtlMs: ttlMs, maxThreadBytes } = settings;
  if (settings.redisCluster) return new RedisThreadStore({ cluster: settings.redisCluster, ttlMs, maxThreadBytes });
  if (settings.redisUrl) return new RedisThreadStore({ url: settings.redisUrl, ttlMs, maxThreadBytes });
  if (!persistent) return new MemoryThreadStore({ ttlMs, maxThreadBytes });
  const dir = settings.destination.journalDir;
  return new LazyThreadStore(() => new SqliteThreadStore({ dir, ttlMs, maxThreadBytes }));
}
