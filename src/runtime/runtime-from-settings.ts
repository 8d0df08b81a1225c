import { createLogger } from '../logging/create-logger.js';
import { MemoryThreadStore } from '../thread/memory-thread-store.js';
import { RedisThreadStore } from '../thread/redis-thread-store.js';
import type { ThreadStore } from '../thread/thread-store.js';
import type { ResolvedSettings } from './resolve-settings.js';
import { createRuntime, type SessionsRuntime } from './sessions-runtime.js';

/**
 * The runtime the settings describe: the given thread store, else a Redis one when a Redis
 * URL is configured, else one in memory; and the logger at the configured level. @internal
 */
export function runtimeFromSettings(settings: ResolvedSettings, threadStore?: ThreadStore): SessionsRuntime {
  const ttlMs = settings.threadTtlMs;
  return createRuntime({
    threadStore:
      threadStore ??
      (settings.redisUrl ? new RedisThreadStore({ url: settings.redisUrl, ttlMs }) : new MemoryThreadStore({ ttlMs })),
    logger: createLogger({
      level: settings.logLevel,
      console: settings.logToConsole,
      spanEvents: settings.logSpanEvents,
    }),
    secret: settings.secret,
    threadTtlMs: ttlMs,
  });
}
