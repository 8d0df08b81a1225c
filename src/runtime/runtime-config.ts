import type winston from 'winston';
import { createLogger } from '../logging/create-logger.js';
import { readEnvSettings } from './env-settings.js';
import { StoreOutage } from '../thread/store-outage.js';
import { MemoryThreadStore } from '../thread/memory-thread-store.js';
import type { ThreadStore } from '../thread/thread-store.js';

// Process-wide, shared by the ESM and CommonJS builds through a global symbol.
const CONFIG_KEY = Symbol.for('otel-sessions.runtime-config');

interface RuntimeConfig {
  threadStore: ThreadStore | undefined;
  logger: winston.Logger | undefined;
  outage: StoreOutage | undefined;
  running: Set<Promise<void>>;
}

function config(): RuntimeConfig {
  const holder = globalThis as { [CONFIG_KEY]?: RuntimeConfig };
  return (holder[CONFIG_KEY] ??= { threadStore: undefined, logger: undefined, outage: undefined, running: new Set() });
}

/** The process's thread store: the one set by `registerSessions`, else an in-memory one. @internal */
export function getThreadStore(): ThreadStore {
  return (config().threadStore ??= new MemoryThreadStore());
}

/** Sets the process's thread store. @internal */
export function setThreadStore(store: ThreadStore): void {
  config().threadStore = store;
}

/** The logger agents and routes get as `logger`: one per process, made on first use. @internal */
export function getLogger(): winston.Logger {
  return (config().logger ??= defaultLogger());
}

/** Until `registerSessions` sets one: configured by the same environment variables. */
function defaultLogger(): winston.Logger {
  const { logLevel, logToConsole } = readEnvSettings();
  return createLogger({ level: logLevel, console: logToConsole });
}

/** Sets the logger agents and routes get. @internal */
export function setLogger(logger: winston.Logger): void {
  config().logger = logger;
}

/** The process's thread store outage reporter, which logs through `getLogger()`. @internal */
export function getStoreOutage(): StoreOutage {
  return (config().outage ??= new StoreOutage({
    down: (message, error) =>
      getLogger().error(message, { error: error instanceof Error ? error.message : String(error) }),
    back: (message) => getLogger().warn(message),
  }));
}

/** Counts a session as running until `done` settles, so that a shutdown can wait for it. @internal */
export function trackRunningSession(done: Promise<void>): void {
  const { running } = config();
  running.add(done);
  void done.finally(() => running.delete(done));
}

/** Resolves when the sessions running now have ended and answered, or after `timeoutMs`. @internal */
export async function sessionsRunningNow(timeoutMs: number): Promise<void> {
  const now = [...config().running];
  if (now.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(now),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  // A moment more for their responses to be written: the http server spans end then.
  await new Promise((resolve) => setTimeout(resolve, 50));
}
